/**
 * `certmint/client`: get access tokens from NetSuite or certmint with a certificate-mapped
 * client assertion, and verify certmint's access tokens in your own APIs.
 * Imports only jose and node: built-ins, so an application can depend on it alone.
 */
export type { ScopeFormat } from './assertion.ts';
export { type ClientCertificateInput, certificateThumbprint } from './certificate-binding.ts';
export type { DpopOption } from './dpop.ts';
export type { DpopRequest, DpopVerifyBounds } from './dpop-verify.ts';
export {
  CertmintClientError,
  type ClientErrorCode,
  ConfigurationError,
  InsufficientScopeError,
  InvalidDpopProofError,
  type InvalidDpopProofReason,
  InvalidTokenError,
  type InvalidTokenReason,
  JwksError,
  NetworkError,
  type RotatedCertificate,
  RotationError,
  type RotationErrorDetails,
  type RotationStep,
  TokenRequestError,
  type TokenRequestErrorDetails,
} from './errors.ts';
export type { JwksBounds } from './jwks.ts';
export { ASSERTION_ALGS, type AssertionAlg, type PrivateKeyInput } from './keys.ts';
export {
  authenticate,
  type BearerAuthOptions,
  type BearerChallenge,
  bearerAuth,
  fastifyBearerAuth,
  type NextFunction,
  verifiedToken,
} from './middleware.ts';
export type { RetryOptions } from './retry.ts';
export type { AutoRotateOptions } from './rotation/auto-rotate.ts';
export {
  type CredentialStore,
  fileCredentialStore,
  type StoredCredential,
} from './rotation/credential-store.ts';
export { type RotateCertificateOptions, rotateCertificate } from './rotation/rotate.ts';
export type { ClientTlsOptions } from './tls-fetch.ts';
export {
  type Clock,
  createTokenClient,
  type TokenClient,
  type TokenClientOptions,
} from './token-client.ts';
export type { FetchLike, TokenResponse } from './token-request.ts';
export { accountHostForm, isAccountId, netsuiteTokenUrl } from './token-url.ts';
export {
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
  type VerifiedToken,
  type VerifierAlg,
  type VerifyOptions,
} from './verifier.ts';
