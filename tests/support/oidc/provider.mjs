// A real OpenID provider for the console's sign-in tests: the OpenID-certified `oidc-provider`,
// on a free loopback port, with a minimal login form and one account per Garante role.
//
// It binds port 0 and prints `OpenID provider listening on http://127.0.0.1:PORT`; the issuer
// is that URL. It then reads one line on stdin, the console's base URL, and registers the
// console as a client with that URL's callback (the console's port is known only once it runs).
// Until then every request gets 503.
//
// Two test accounts make the provider hand out a bad ID token from its token endpoint, as a
// compromised network or a clock gone wrong would: "tampered" (one byte of the payload changed,
// so the signature no longer matches) and "expired" (re-signed with the provider's own key, but
// with `exp` an hour in the past). Every other account gets the token oidc-provider issued.
import http from 'node:http';
import readline from 'node:readline';

import { exportJWK, generateKeyPair, SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import Provider from 'oidc-provider';

const CLIENT_ID = 'garante-console';
const CLIENT_SECRET = 'console-test-secret';

// Claims as an organisation's directory would give them: a group name, an agency, an authority.
const ACCOUNTS = {
  authority: { garante_groups: ['garante-authorities'], authority: 'presidency' },
  overseer: { garante_groups: ['garante-oversight'], agency: 'cti' },
  analyst: { garante_groups: ['garante-analysts', 'staff'], agency: 'dipol' },
  liaison: { garante_groups: ['garante-liaison'], agency: 'dipol' },
  partner: { garante_groups: ['garante-partners'], agency: 'dea' },
  'partner-hsi': { garante_groups: ['garante-partners'], agency: 'hsi' },
  'no-role': { garante_groups: ['staff'], agency: 'dipol' },
  'unknown-agency': { garante_groups: ['garante-analysts'], agency: 'nowhere' },
  tampered: { garante_groups: ['garante-analysts'], agency: 'dipol' },
  expired: { garante_groups: ['garante-analysts'], agency: 'dipol' },
};

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>`
    + `<body><h1>${title}</h1>${body}</body></html>`;
}

function loginForm(uid, error) {
  return page('Test provider sign-in', `${error ? `<p role="alert">${error}</p>` : ''}`
    + `<form method="post" action="/interaction/${uid}">`
    + '<label for="login">Account</label> <input id="login" name="login" autocomplete="off">'
    + ' <button type="submit">Continue</button></form>');
}

async function formBody(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  return new URLSearchParams(data);
}

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const server = http.createServer();
let handler = (req, res) => { res.statusCode = 503; res.end('the console is not registered yet'); };
server.on('request', (req, res) => handler(req, res));
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const ttl = Number(process.env.OIDC_ID_TOKEN_TTL || '3600');

function configure(consoleUrl) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [`${consoleUrl}/signin/oidc/callback`],
      post_logout_redirect_uris: [`${consoleUrl}/signin`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    jwks: { keys: [signingJwk] },
    cookies: { keys: ['garante-test-provider-cookie-key'] },
    claims: { openid: ['sub'], garante: ['garante_groups', 'agency', 'authority'] },
    conformIdTokenClaims: false, // the scope's claims in the ID token itself
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
    ttl: { IdToken: ttl },
    async findAccount(ctx, id) {
      if (!(id in ACCOUNTS)) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...ACCOUNTS[id] }; } };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  });

  // The login form: any account above, no password (the tests sign in as each role).
  provider.use(async (ctx, next) => {
    const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = loginForm(details.uid);
      return undefined;
    }
    const login = (await formBody(ctx.req)).get('login') || '';
    if (!(login in ACCOUNTS)) {
      ctx.type = 'html';
      ctx.body = loginForm(details.uid, 'No such account.');
      return undefined;
    }
    // A first-party client: consent is given with the sign-in.
    const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId: login }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    ctx.respond = false;
    return undefined;
  });

  // The two bad tokens, altered on their way out of the token endpoint.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
    const token = ctx.body.id_token;
    const claims = decodeJwt(token);
    if (claims.sub === 'tampered') {
      const [header, payload, signature] = token.split('.');
      const changed = payload.slice(0, 10) + (payload[10] === 'A' ? 'B' : 'A') + payload.slice(11);
      ctx.body = { ...ctx.body, id_token: [header, changed, signature].join('.') };
    } else if (claims.sub === 'expired') {
      const now = Math.floor(Date.now() / 1000);
      const key = await importJWK(signingJwk, 'RS256');
      const resigned = await new SignJWT({ ...claims, iat: now - 7200, exp: now - 3600 })
        .setProtectedHeader(decodeProtectedHeader(token))
        .sign(key);
      ctx.body = { ...ctx.body, id_token: resigned };
    }
  });

  return provider.callback();
}

console.log(`OpenID provider listening on ${issuer}`);
const lines = readline.createInterface({ input: process.stdin });
lines.once('line', (line) => {
  handler = configure(line.trim().replace(/\/$/, ''));
  console.log(`Registered the console at ${line.trim()}`);
});
process.on('SIGTERM', () => { server.close(); process.exit(0); });
