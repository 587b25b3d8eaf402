/**
 * The peer: panva/oidc-provider 9 (the best-known Node.js authorization server) with
 * client_credentials, private_key_jwt and its default in-memory adapter, in production mode.
 * It checks the assertion's signature, iss/sub/aud/exp and its jti against replay, and issues
 * opaque access tokens. Env: BENCH_PORT, BENCH_JWKS (public JWKS JSON), BENCH_CLIENT_ID,
 * BENCH_SCOPE.
 */
import Provider from 'oidc-provider';
import { env, serveChild } from './ipc.ts';

const port = Number(env('BENCH_PORT'));
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: env('BENCH_CLIENT_ID'),
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      jwks: JSON.parse(env('BENCH_JWKS')) as unknown,
      scope: env('BENCH_SCOPE'),
    },
  ],
  scopes: [env('BENCH_SCOPE')],
  features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
  enabledJWA: { clientAuthSigningAlgValues: ['ES256', 'PS256'] },
});
const server = provider.listen(port, '127.0.0.1', () =>
  serveChild(port, () => new Promise<void>((resolve) => server.close(() => resolve()))),
);
server.keepAliveTimeout = 30_000;
