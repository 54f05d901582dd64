// A real OpenID Connect provider for the single sign-on tests: the certified `oidc-provider`
// package (pinned in package-lock.json), with one client and the accounts the test gives it,
// and a small login page of its own in place of the package's development pages (those load
// a web font from the internet, which the tests' browser has no way to reach).
//
// Started by tests/oidc_provider.py with:
//   OIDC_PORT        the port to listen on (the issuer is http://127.0.0.1:<port>)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI   the one client: Touchstone
//                    (OIDC_REDIRECT_URI: one address, or several separated by commas)
//   OIDC_ACCOUNTS    JSON list of {"email", "email_verified", "name"}; the login is the e-mail
//   OIDC_PASSWORD    the password of every account
// Prints "ready <issuer>" on standard output once it listens.

import http from 'node:http';

import Provider from 'oidc-provider';

const env = process.env;
const port = Number(env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(env.OIDC_ACCOUNTS);
// The subject is a number of the provider's own, not the address: it must not be what the
// client matches accounts on.
const byId = new Map(accounts.map((account, index) => [`subject-${index + 1}`, account]));
const idByLogin = new Map([...byId].map(([id, account]) => [account.email.toLowerCase(), id]));

const provider = new Provider(issuer, {
  clients: [{
    client_id: env.OIDC_CLIENT_ID,
    client_secret: env.OIDC_CLIENT_SECRET,
    redirect_uris: env.OIDC_REDIRECT_URI.split(','),
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  async findAccount(ctx, id) {
    const account = byId.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: account.email,
          email_verified: account.email_verified,
          name: account.name,
        };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  cookies: { keys: ['touchstone-test-provider-only'] },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, uid, problem = '') {
  res.writeHead(problem ? 400 : 200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>Test identity provider</title></head>
<body><h1>Test identity provider</h1>
${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>E-mail <input name="login" type="text" autocomplete="off"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button>
</form>
<p><a href="/interaction/${escape(uid)}/abort">Cancel</a></p>
</body></html>`);
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (action === 'abort') {
    const result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  if (action !== 'login' || req.method !== 'POST') {
    page(res, uid);
    return;
  }
  const body = await formBody(req);
  const accountId = idByLogin.get((body.get('login') || '').trim().toLowerCase());
  if (!accountId || body.get('password') !== env.OIDC_PASSWORD) {
    page(res, uid, 'Unknown login or wrong password.');
    return;
  }
  // The client is the deployment's own application: its grant needs no consent page.
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope('openid email profile');
  const grantId = await grant.save();
  const result = { login: { accountId }, consent: { grantId } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const found = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(req.url.split('?')[0]);
  if (!found) {
    handle(req, res);
    return;
  }
  interaction(req, res, found[1], found[2]).catch((err) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction failed: ${err.message}`);
  });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
