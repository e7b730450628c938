// Reference OpenID Provider for proving the kuke-id conformance runner right.
//
// Starts panva's certified `oidc-provider` (version pinned in package.json)
// on loopback only, with:
//   - one confidential client (client_secret_basic or client_secret_post)
//     and a second one, so checks that need "another client" can run;
//   - the development interactions (any login/password is accepted), which
//     the runner's `node-oidc-provider` login driver knows how to drive;
//   - RP-Initiated Logout, revocation, introspection, userinfo, the claims
//     request parameter and unsigned request objects;
//   - a refresh token for every authorization-code grant of a client that is
//     allowed the refresh_token grant.
//
// Signing keys are generated at every start; nothing secret lives on disk.
//
// Environment (all optional):
//   PEER_PORT  port on 127.0.0.1 (default 3100)
//
// Prints one line "peer listening on <issuer> pid=<pid>" once it accepts
// connections; stops on SIGTERM/SIGINT.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const port = Number.parseInt(process.env.PEER_PORT ?? '3100', 10);
const issuer = `http://${HOST}:${port}`;

// The callback addresses are never listened on: the runner reads the
// authorization response from the redirect's Location header and stops there.
const CLIENTS = [
  {
    client_id: 'conformance-client',
    client_secret: 'conformance-secret-0123456789abcdef',
    redirect_uris: ['http://127.0.0.1:9/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:9/logged-out'],
  },
  {
    client_id: 'conformance-client-2',
    client_secret: 'conformance-secret-2-0123456789abcdef',
    redirect_uris: ['http://127.0.0.1:9/callback2'],
    post_logout_redirect_uris: ['http://127.0.0.1:9/logged-out2'],
  },
].map((client) => ({
  ...client,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
}));

function signingKey(type, options, kid, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

// Demo accounts: every login name maps to an account with a fixed set of
// claims so the profile/email scope checks have something to look at.
function account(id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        name: `Demo ${id}`,
        given_name: 'Demo',
        family_name: id,
        preferred_username: id,
        locale: 'en',
        updated_at: 1700000000,
        email: `${id}@example.invalid`,
        email_verified: true,
      };
    },
  };
}

const configuration = {
  clients: CLIENTS,
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'peer-rs256', 'RS256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'peer-es256', 'ES256'),
    ],
  },
  // Random per start: sessions only need to outlive one runner invocation.
  // sameSite "none" on the long-lived cookies is what oidc-provider demands
  // before it accepts authorization requests by POST (OIDC Core §3.1.2.1).
  cookies: { keys: [randomBytes(32).toString('base64url')], long: { sameSite: 'none' } },
  enableHttpPostMethods: true,
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale', 'updated_at'],
    email: ['email', 'email_verified'],
  },
  findAccount: async (_ctx, sub) => account(sub),
  // Issue a refresh token whenever the client may use one, not only with
  // offline_access, so the refresh check exercises the grant either way.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  // PKCE stays optional for confidential clients (as in the Basic OP plan);
  // the runner exercises it in its own check.
  pkce: { required: () => false },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    userinfo: { enabled: true },
    claimsParameter: { enabled: true },
    requestObjects: { enabled: true, requireSignedRequestObject: false },
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx, err) => {
  console.error('server_error', err);
});

const server = provider.listen(port, HOST, () => {
  console.log(`peer listening on ${issuer} pid=${process.pid}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
