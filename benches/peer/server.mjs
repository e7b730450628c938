// The peer of the load benchmark: panva's OpenID-certified oidc-provider,
// set up to do what kuke-id does in the compared scenarios, so the two are
// measured on the same work:
//   - discovery and JWKS (one ES256 key, made at start, never written down);
//   - client_credentials for one confidential client (client_secret_basic),
//     answered with a JWT access token signed ES256, like kuke-id's.
// Started by `cargo bench --bench load` with LOAD_PEER=1; alone:
//   PEER_PORT=39180 node benches/peer/server.mjs
// Environment: PEER_PORT (required), PEER_CLIENT_ID, PEER_CLIENT_SECRET.

import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PEER_PORT);
if (!Number.isInteger(port) || port <= 0) {
  throw new Error('set PEER_PORT to the loopback port to listen on');
}
const issuer = `http://127.0.0.1:${port}`;
const api = 'urn:kuke-id:bench';

const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  jwks: { keys: [{ ...signing, kid: 'peer-es256', alg: 'ES256', use: 'sig' }] },
  clients: [{
    client_id: process.env.PEER_CLIENT_ID ?? 'bench-machine',
    client_secret: process.env.PEER_CLIENT_SECRET ?? 'peer-secret-for-loopback-benchmarks',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    // The only key is ES256, and the provider's default here is RS256.
    id_token_signed_response_alg: 'ES256',
    scope: 'bench',
  }],
  scopes: ['openid', 'bench'],
  // Only to keep the provider from warning about its default keys: no cookie is set here.
  cookies: { keys: ['loopback-benchmark-only'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    // A JWT access token needs a resource server; every request gets this one.
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => api,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'bench',
        audience: api,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
provider.on('server_error', (_ctx, error) => console.error('peer server_error', error));

const server = provider.listen(port, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
