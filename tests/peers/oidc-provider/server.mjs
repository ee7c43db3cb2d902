// agentctl's independent OpenID provider for tests: panva/oidc-provider v9, configured here.
// Usage: [PEER_QUIRKS=a,b] node server.mjs <port> <datadir>
// Adapted from the team's shared peer (/work/shared/peers/oidc-provider); adds RFC 8628 device
// authorization and a public device client, and keeps the signing key per data dir.
//
// PEER_QUIRKS (comma-separated; none by default) makes this instance behave like real servers
// seen in the wild, so agentctl's handling of each is tested against a real process:
//   require-redirect-uri     DCR refuses a client without redirect_uris (invalid_redirect_uri),
//                            even one that only uses client credentials
//   hide-client-credentials  discovery omits client_credentials from grant_types_supported,
//                            while the token endpoint still issues it
//   list-metadata            RFC 7591/7592 answers carry token_endpoint_auth_method as a list
//   no-grant-types-echo      the registration answer leaves grant_types out
//   no-client-credentials    DCR registers clients without the client_credentials grant
//   force-basic              DCR registers every client with client_secret_basic, whatever asked
//   basic-undecoded          HTTP Basic credentials are not percent-decoded (RFC 6749 §2.3.1
//                            says they must be): secrets with '/', '+', ... fail with Basic
//   no-client-secret-post    the token endpoint does not accept client_secret_post
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider, { errors } from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const port = Number(process.argv[2] || 9100);
const dataDir = process.argv[3] || '.';
const issuer = `http://127.0.0.1:${port}`;

// A stable signing key across restarts, so a token minted before a restart still verifies.
const keyFile = join(dataDir, 'jwks.json');
if (!existsSync(keyFile)) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  Object.assign(jwk, { kid: 'peer-rs256', alg: 'RS256', use: 'sig' });
  writeFileSync(keyFile, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
}
const jwks = JSON.parse(readFileSync(keyFile, 'utf8'));

const API_SCOPES = 'api:read api:write agents:register';
const quirks = new Set((process.env.PEER_QUIRKS || '').split(',').map((q) => q.trim()).filter(Boolean));
const KNOWN_QUIRKS = ['require-redirect-uri', 'hide-client-credentials', 'list-metadata',
  'no-grant-types-echo', 'no-client-credentials', 'force-basic', 'basic-undecoded',
  'no-client-secret-post'];
for (const q of quirks) {
  if (!KNOWN_QUIRKS.includes(q)) throw new Error(`unknown PEER_QUIRKS entry ${q}`);
}
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const provider = new Provider(issuer, {
  jwks,
  ...(quirks.has('no-client-secret-post')
    ? { clientAuthMethods: ['client_secret_basic', 'private_key_jwt', 'none'] }
    : {}),
  clients: [
    { // pre-registered confidential client for client_credentials
      client_id: 'agentctl-admin',
      client_secret: 'agentctl-admin-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: API_SCOPES,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    { // resource server used to call introspection
      client_id: 'resource-server',
      client_secret: 'resource-server-secret',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    { // confidential client whose secret needs percent-encoding in HTTP Basic (RFC 6749 §2.3.1)
      client_id: 'agentctl-encoded',
      client_secret: 'se/cr+et %:x~',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: API_SCOPES,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    { // public client for the RFC 8628 device flow (nobody approves in tests: it stays pending)
      client_id: 'agentctl-device',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      scope: `openid ${API_SCOPES}`,
      token_endpoint_auth_method: 'none',
    },
  ],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    registration: { enabled: true, initialAccessToken: false }, // open RFC 7591 DCR at /reg
    registrationManagement: { enabled: true }, // RFC 7592
    resourceIndicators: {
      enabled: true,
      // no `resource` param -> tokens for this default audience (JWT, RFC 9068 style)
      defaultResource: (ctx, client, oneOf) => oneOf || 'https://api.example.test',
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => ({
        scope: API_SCOPES,
        audience: resourceIndicator,
        accessTokenTTL: 600,
        // resource indicators containing "opaque" get opaque tokens (introspectable);
        // everything else gets RFC 9068 JWTs (oidc-provider refuses to introspect JWTs)
        accessTokenFormat: resourceIndicator.includes('opaque') ? 'opaque' : 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  scopes: ['openid', 'offline_access', ...API_SCOPES.split(' ')],
  extraClientMetadata: {
    // A hook into every client's metadata: `ctx` is set only for a DCR request (not for the
    // clients above), which is where the registration quirks apply.
    properties: ['x_peer_quirks'],
    validator(ctx, key, value, metadata) {
      if (!ctx) return;
      if (quirks.has('require-redirect-uri') && !(metadata.redirect_uris || []).length) {
        throw new errors.InvalidRedirectUri('redirect_uris must contain members');
      }
      if (quirks.has('no-client-credentials')) {
        metadata.grant_types = (metadata.grant_types || []).filter((g) => g !== 'client_credentials');
      }
      if (quirks.has('force-basic') && metadata.token_endpoint_auth_method !== 'none') {
        metadata.token_endpoint_auth_method = 'client_secret_basic';
        delete metadata.jwks;
      }
    },
  },
});

if (quirks.has('basic-undecoded')) {
  // Encode the Basic credentials once more, so the library's (correct) decoding leaves them as
  // sent: the server then compares the still-encoded secret, as a non-decoding server does.
  provider.use(async (ctx, next) => {
    const header = ctx.get('authorization');
    if (header && header.toLowerCase().startsWith('basic ')) {
      const raw = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const i = raw.indexOf(':');
      if (i !== -1) {
        const again = `${encodeURIComponent(raw.slice(0, i))}:${encodeURIComponent(raw.slice(i + 1))}`;
        ctx.req.headers.authorization = `Basic ${Buffer.from(again).toString('base64')}`;
      }
    }
    await next();
  });
}

provider.use(async (ctx, next) => {
  await next();
  const body = ctx.body;
  if (!body || typeof body !== 'object' || Buffer.isBuffer(body)) return;
  if (ctx.path === '/.well-known/openid-configuration' && quirks.has('hide-client-credentials')) {
    body.grant_types_supported = (body.grant_types_supported || []).filter((g) => g !== 'client_credentials');
  }
  if (ctx.path.startsWith('/reg')) {
    if (quirks.has('list-metadata') && typeof body.token_endpoint_auth_method === 'string') {
      body.token_endpoint_auth_method = [body.token_endpoint_auth_method];
    }
    if (quirks.has('no-grant-types-echo')) delete body.grant_types;
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
