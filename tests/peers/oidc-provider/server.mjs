// agentctl's independent OpenID provider for tests: panva/oidc-provider v9, configured here.
// Usage: node server.mjs <port> <datadir>
// Adapted from the team's shared peer (/work/shared/peers/oidc-provider); adds RFC 8628 device
// authorization and a public device client, and keeps the signing key per data dir.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider from 'oidc-provider';
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
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const provider = new Provider(issuer, {
  jwks,
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
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
