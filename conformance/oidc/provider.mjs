// A real OpenID provider for ferrochat's sign-in tests: oidc-provider with one client,
// interactions that log in a chosen test account without a form, and a switch that makes the
// token endpoint misbehave in one specific way (wrong nonce, wrong audience, expired ID token),
// re-signing the ID token with the provider's own key so that only the targeted check fails.
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI.
// Control: GET /test/account?name=alice|bob|mallory, GET /test/mode?m=normal|wrong-nonce|wrong-aud|expired
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const accounts = {
  alice: { sub: 'alice', email: 'alice@example.com', email_verified: true, name: 'Alice' },
  bob: { sub: 'bob-subject', email: 'bob@example.com', email_verified: true, name: 'Bob' },
  mallory: { sub: 'mallory', email: 'mallory@example.com', email_verified: false, name: 'Mallory' },
};
let account = 'alice';
let mode = 'normal';

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false,
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => accounts[id] }),
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['ferrochat-test-cookie-key'] },
});

async function tamper(idToken) {
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'wrong-nonce') claims.nonce = 'not-the-nonce-that-was-sent';
  if (mode === 'wrong-aud') claims.aud = 'some-other-client';
  if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' }).sign(privateKey);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/account') {
    account = ctx.query.name;
    ctx.body = 'ok';
    return;
  }
  if (ctx.path === '/test/mode') {
    mode = ctx.query.m;
    ctx.body = 'ok';
    return;
  }
  if (/^\/interaction\/[^/]+$/.test(ctx.path)) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      result = { login: { accountId: account } };
    } else {
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      result = { consent: { grantId: await grant.save() } };
    }
    const url = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(url);
    return;
  }
  await next();
  if (ctx.path === '/token' && mode !== 'normal' && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token) };
  }
});

provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
