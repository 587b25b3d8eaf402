/**
 * RFC 8414 authorization server metadata of one account, advertising exactly what the token
 * service enforces: the assertion algorithms of the registry, the scopes, private_key_jwt.
 */
import { ASSERTION_ALGS } from '../../crypto/algorithms.ts';
import { DPOP_ALGS } from '../../crypto/dpop-proof.ts';
import { endpointOf, issuerOf } from '../../domain/endpoints.ts';
import { SCOPES } from '../../domain/scope.ts';

export function serverMetadata(publicUrl: string, accountId: string): Record<string, unknown> {
  const algs = [...ASSERTION_ALGS];
  const endpoint = (name: Parameters<typeof endpointOf>[2]) =>
    endpointOf(publicUrl, accountId, name);
  return {
    issuer: issuerOf(publicUrl, accountId),
    token_endpoint: endpoint('token'),
    jwks_uri: endpoint('keys'),
    introspection_endpoint: endpoint('introspect'),
    revocation_endpoint: endpoint('revoke'),
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    scopes_supported: [...SCOPES],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: algs,
    introspection_endpoint_auth_methods_supported: ['private_key_jwt'],
    introspection_endpoint_auth_signing_alg_values_supported: algs,
    revocation_endpoint_auth_methods_supported: ['private_key_jwt'],
    revocation_endpoint_auth_signing_alg_values_supported: algs,
    // RFC 9449 §5.1: the proof algorithms are the registry's, like the assertions'.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
  };
}
