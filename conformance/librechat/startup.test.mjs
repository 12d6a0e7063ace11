// The calls the LibreChat client makes while it starts (reference §3, §4), through its own API
// layer: public ones before sign-in, the rest with a token.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dataService, setTokenHeader } from './client.mjs';

const email = `startup-${Date.now()}@example.com`;
const password = 'startup-password';

test('startup calls answer in the shapes the client reads', async () => {
  // Logged out: config and banner must answer without a token.
  const config = await dataService.getStartupConfig();
  assert.equal(typeof config.appTitle, 'string');
  assert.equal(config.emailLoginEnabled, true);
  assert.equal(config.registrationEnabled, true);
  assert.equal(config.socialLoginEnabled, false);
  assert.deepEqual(config.socialLogins, []);
  assert.equal(config.interface.presets, true);
  assert.equal(config.interface.bookmarks, true);
  assert.equal(config.balance.enabled, false);
  assert.equal('mcpServers' in config, false, 'no mcpServers key, or the client starts MCP queries');
  assert.equal(await dataService.getBanner(), null);

  await dataService.register({ name: 'Startup', email, password, confirm_password: password });
  const { token, user } = await dataService.login({ email, password });
  setTokenHeader(token);

  const role = await dataService.getRole(user.role.toLowerCase());
  assert.equal(role.name, user.role);
  assert.equal(role.permissions.BOOKMARKS.USE, true, 'bookmarks exist');
  assert.deepEqual(role.permissions.PROMPTS, { USE: true, CREATE: true, SHARED_GLOBAL: false }, 'the prompt library exists, private');
  assert.equal(config.interface.prompts, true);
  for (const kind of ['AGENTS', 'RUN_CODE', 'WEB_SEARCH']) {
    assert.equal(typeof role.permissions[kind], 'object', kind);
    assert.ok(Object.values(role.permissions[kind]).every((v) => v === false), `${kind} off`);
  }
  const endpoints = await dataService.getAIEndpoints();
  assert.equal(typeof endpoints, 'object');
  const models = await dataService.getModels();
  assert.equal('initial' in models, false);
  assert.deepEqual(await dataService.getFiles(), []);
  const fileConfig = await dataService.getFileConfig();
  assert.equal(fileConfig.endpoints.default.disabled, false, 'the attach button is shown');
  assert.equal(fileConfig.serverFileSizeLimit, 100, 'limits in MB');
  assert.equal(await dataService.getSearchEnabled(), true, 'full-text search is built in');
  assert.equal((await dataService.getCustomConfigSpeech()).message, 'not_found');
  assert.deepEqual(await dataService.userKeyQuery('openAI'), { expiresAt: null });
  assert.equal((await dataService.getUserTerms()).termsAccepted, false);
});
