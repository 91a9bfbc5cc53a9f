// An OpenID Connect provider for the sign-in tests: the certified oidc-provider package
// (npm), with one client and the accounts of a JSON file.
//
//   node provider.mjs SETTINGS.json
//
// SETTINGS.json: {"issuer": "http://127.0.0.1:PORT", "port": PORT, "accounts": "ACCOUNTS.json",
//   "client": {"client_id", "client_secret", "redirect_uris": [...],
//              "post_logout_redirect_uris": [...]}}
// ACCOUNTS.json: {"<login>": {"password", "sub", "email", "email_verified", "name",
//   "groups": [...], "department"}}, read again at every sign-in and every claims
//   request, so that a test can move someone between groups between two sign-ins.
//
// The sign-in page is this file's own (a login and a password, checked against the
// accounts file); consent is implied for the one client, as a company's provider does
// for its own applications. Claims: openid → sub; email → email, email_verified;
// profile → name, groups, department (from the userinfo endpoint; the ID token carries
// them too when the client asks with the claims parameter).

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function accounts() {
  return JSON.parse(readFileSync(settings.accounts, 'utf8'));
}

function accountBySub(sub) {
  return Object.values(accounts()).find((account) => account.sub === sub);
}

function claimsOf(account) {
  return {
    sub: account.sub,
    email: account.email,
    email_verified: Boolean(account.email_verified),
    name: account.name,
    groups: account.groups || [],
    department: account.department,
  };
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const configuration = {
  clients: [{
    ...settings.client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'groups', 'department'],
  },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // The package's own page loads a web font from the internet; this one loads nothing.
      async logoutSource(ctx, form) {
        ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign out</title></head>
<body><h1>Sign out of the test identity provider?</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
      },
    },
  },
  pkce: { required: () => true },
  cookies: { keys: ['provider-test-cookie-key'] },
  async findAccount(ctx, sub) {
    const account = accountBySub(sub);
    if (!account) return undefined;
    return { accountId: sub, async claims() { return claimsOf(account); } };
  },
  async loadExistingGrant(ctx) {
    // The company's own application: every requested scope and claim is granted.
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
    grant.addOIDCClaims([...(ctx.oidc.requestParamClaims || [])]);
    await grant.save();
    return grant;
  },
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600,
  },
};

const provider = new Provider(settings.issuer, configuration);
const handle = provider.callback();

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(uid, error) {
  const message = error ? `<p role="alert">${escape(error)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to the test provider</title></head>
<body><h1>Test identity provider</h1>${message}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Username <input name="login" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, path) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page(details.uid));
    return;
  }
  if (path.endsWith('/login') && req.method === 'POST') {
    const form = await readForm(req);
    const account = accounts()[form.get('login')];
    if (!account || account.password !== form.get('password')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page(details.uid, 'Unknown username or wrong password.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(405);
  res.end();
}

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url, settings.issuer);
  if (pathname.startsWith('/interaction/')) {
    interaction(req, res, pathname).catch((error) => {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end(String(error.message || error));
    });
    return;
  }
  handle(req, res);
});

server.listen(settings.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${settings.issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
