// Register → login → refresh → user → logout, exactly as the LibreChat client calls them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { axios, dataService, jar, request, setTokenHeader } from './client.mjs';

const email = `conformance-${Date.now()}@example.com`;
const password = 'conformance-password';

const status = async (promise) => {
  try {
    await promise;
    return 200;
  } catch (error) {
    return error.response?.status;
  }
};

test('register, login, refresh, user, logout through librechat-data-provider', async () => {
  const registered = await dataService.register({
    name: 'Conformance',
    email,
    password,
    confirm_password: password,
  });
  assert.equal(registered.message, 'Please check your email to verify your email address.');
  assert.equal(jar.size, 0, 'register sets no cookies');

  // Before login: the silent refresh answers with text, which the client reads as logged out.
  assert.equal(await request.refreshToken(), 'Refresh token not provided');

  const login = await dataService.login({ email, password });
  assert.ok(login.token, 'login returns a token');
  assert.equal(login.user.email, email);
  assert.equal(login.user.id, login.user._id);
  assert.ok(jar.has('refreshToken'), 'login sets the refresh cookie');
  assert.equal(jar.get('token_provider'), 'librechat');
  setTokenHeader(login.token);

  const cookieBefore = jar.get('refreshToken');
  const refreshed = await request.refreshToken();
  assert.ok(refreshed.token);
  assert.equal(refreshed.user.id, login.user.id);
  assert.notEqual(jar.get('refreshToken'), cookieBefore, 'refresh rotates the cookie');
  setTokenHeader(refreshed.token);

  const me = await dataService.getUser();
  assert.equal(me.id, login.user.id);
  for (const field of ['email', 'name', 'username', 'role', 'provider', 'createdAt', 'updatedAt']) {
    assert.ok(field in me, `user has ${field}`);
  }
  assert.ok(['USER', 'ADMIN'].includes(me.role));
  assert.equal(me.password, undefined);

  const loggedOut = await dataService.logout();
  assert.equal(loggedOut.message, 'Logout successful');
  assert.equal(jar.has('refreshToken'), false, 'logout clears the cookie');
  assert.equal(await status(dataService.getUser()), 401, 'the access token died with the session');
  assert.equal(await request.refreshToken(), 'Refresh token not provided');
});

test('failures answer the statuses the client reacts to', async () => {
  assert.equal(await status(dataService.login({ email, password: 'wrong-password' })), 404);
  assert.equal(await status(dataService.login({ email: 'nobody@example.com', password })), 404);
  // A stale cookie: refresh rejects with 403 (never 401, which would loop the interceptor).
  jar.set('refreshToken', 'stale');
  assert.equal(await status(request.refreshToken()), 403);
  jar.clear();
  setTokenHeader('not-a-token');
  assert.equal(await status(dataService.getUser()), 401);
  // Registering an existing address is indistinguishable from a new one.
  const again = await dataService.register({ name: 'Again', email, password, confirm_password: password });
  assert.equal(again.message, 'Please check your email to verify your email address.');
  await axios.get('/health');
});
