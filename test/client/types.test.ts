/**
 * Type-level tests of the public API of `certmint/client`. They are checked by `tsc --noEmit`
 * (part of CI); the runtime part only makes sure the file loads and the values exist.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { expectTypeOf } from 'expect-type';
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as client from '../../src/client/index.ts';
import {
  type AssertionAlg,
  bearerAuth,
  CertmintClientError,
  type ClientErrorCode,
  ConfigurationError,
  createTokenClient,
  createTokenVerifier,
  fastifyBearerAuth,
  type InsufficientScopeError,
  type InvalidTokenError,
  JwksError,
  NetworkError,
  type TokenClient,
  type TokenClientOptions,
  TokenRequestError,
  type TokenResponse,
  type TokenVerifier,
  type VerifiedToken,
  verifiedToken,
} from '../../src/client/index.ts';

describe('public types of certmint/client', () => {
  it('createTokenClient', () => {
    expectTypeOf(createTokenClient).parameter(0).toEqualTypeOf<TokenClientOptions>();
    expectTypeOf(createTokenClient).returns.toEqualTypeOf<TokenClient>();
    expectTypeOf<TokenClient['getToken']>().returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf<TokenClient['getTokenResponse']>().returns.toEqualTypeOf<Promise<TokenResponse>>();
    expectTypeOf<TokenClient['fetch']>().returns.toEqualTypeOf<Promise<Response>>();
    expectTypeOf<TokenClient['fetch']>().parameter(0).toEqualTypeOf<string | URL>();
    expectTypeOf<TokenClient['invalidate']>().returns.toBeVoid();
    expectTypeOf<TokenClient['alg']>().toEqualTypeOf<AssertionAlg>();
    expectTypeOf<AssertionAlg>().toEqualTypeOf<
      'ES256' | 'ES384' | 'ES512' | 'PS256' | 'PS384' | 'PS512'
    >();
    expectTypeOf<TokenResponse['access_token']>().toBeString();
    expectTypeOf<TokenResponse['expires_in']>().toBeNumber();

    const common = { clientId: 'c', certificateId: 'k', privateKey: 'pem', scopes: ['restlets'] };
    expectTypeOf({ ...common, tokenUrl: 'https://x' }).toExtend<TokenClientOptions>();
    expectTypeOf({ ...common, accountId: '123456_SB1' }).toExtend<TokenClientOptions>();
    // Both, or neither, is a type error.
    expectTypeOf({
      ...common,
      tokenUrl: 'https://x',
      accountId: '1',
    }).not.toExtend<TokenClientOptions>();
    expectTypeOf(common).not.toExtend<TokenClientOptions>();
    // RS256 is not an assertion algorithm.
    expectTypeOf({
      ...common,
      tokenUrl: 'u',
      alg: 'RS256' as const,
    }).not.toExtend<TokenClientOptions>();
    expectTypeOf({
      ...common,
      tokenUrl: 'u',
      scopeFormat: 'comma' as const,
    }).toExtend<TokenClientOptions>();
    expectTypeOf({
      ...common,
      tokenUrl: 'u',
      scopeFormat: 'space' as const,
    }).not.toExtend<TokenClientOptions>();
  });

  it('createTokenVerifier and VerifiedToken', () => {
    expectTypeOf(createTokenVerifier).returns.toEqualTypeOf<TokenVerifier>();
    expectTypeOf<TokenVerifier['verify']>().returns.toEqualTypeOf<Promise<VerifiedToken>>();
    expectTypeOf<VerifiedToken>().toHaveProperty('roleId').toBeNumber();
    expectTypeOf<VerifiedToken>().toHaveProperty('entityId').toBeNumber();
    expectTypeOf<VerifiedToken>().toHaveProperty('clientId').toBeString();
    expectTypeOf<VerifiedToken>().toHaveProperty('scopes').toEqualTypeOf<string[]>();
    expectTypeOf<VerifiedToken>().toHaveProperty('jti').toBeString();
    expectTypeOf<VerifiedToken['accountId']>().toEqualTypeOf<string | undefined>();
    expectTypeOf({ issuer: 'https://x', typ: 'JWT' as const }).toExtend<
      Parameters<typeof createTokenVerifier>[0]
    >();
    expectTypeOf({ issuer: 'https://x', algorithms: ['HS256' as const] }).not.toExtend<
      Parameters<typeof createTokenVerifier>[0]
    >();
  });

  it('middleware signatures', () => {
    expectTypeOf(fastifyBearerAuth).returns.toEqualTypeOf<
      (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    >();
    expectTypeOf(bearerAuth).returns.toEqualTypeOf<
      (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void
    >();
    expectTypeOf(verifiedToken).returns.toEqualTypeOf<VerifiedToken | undefined>();
  });

  it('errors carry stable codes', () => {
    expectTypeOf<ConfigurationError['code']>().toEqualTypeOf<'ERR_CONFIGURATION'>();
    expectTypeOf<TokenRequestError['code']>().toEqualTypeOf<'ERR_TOKEN_REQUEST'>();
    expectTypeOf<NetworkError['code']>().toEqualTypeOf<'ERR_NETWORK'>();
    expectTypeOf<InvalidTokenError['code']>().toEqualTypeOf<'ERR_INVALID_TOKEN'>();
    expectTypeOf<InsufficientScopeError['code']>().toEqualTypeOf<'ERR_INSUFFICIENT_SCOPE'>();
    expectTypeOf<JwksError['code']>().toEqualTypeOf<'ERR_JWKS'>();
    expectTypeOf<CertmintClientError['code']>().toEqualTypeOf<ClientErrorCode>();
    expectTypeOf<TokenRequestError>().toHaveProperty('error').toBeString();
    expectTypeOf<TokenRequestError>().toHaveProperty('status').toBeNumber();
    expectTypeOf<TokenRequestError>().toHaveProperty('hint').toBeString();
    expectTypeOf<TokenRequestError>().toHaveProperty('attempts').toBeNumber();
    expectTypeOf<TokenRequestError['errorDescription']>().toEqualTypeOf<string | undefined>();
  });

  it('is what the package exports as certmint/client', async () => {
    const viaPackage = await import('certmint/client');
    // The package entry is the compiled SDK (dist/client/): the same surface as these sources.
    assert.deepEqual(Object.keys(viaPackage).sort(), Object.keys(client).sort());
    assert.equal(viaPackage.createTokenClient.name, createTokenClient.name);
    expectTypeOf(viaPackage.createTokenVerifier).toEqualTypeOf(createTokenVerifier);
  });

  it('exports exactly the documented runtime values', () => {
    assert.deepEqual(Object.keys(client).sort(), [
      'ASSERTION_ALGS',
      'CertmintClientError',
      'ConfigurationError',
      'InsufficientScopeError',
      'InvalidDpopProofError',
      'InvalidTokenError',
      'JwksError',
      'NetworkError',
      'RotationError',
      'TokenRequestError',
      'accountHostForm',
      'authenticate',
      'bearerAuth',
      'certificateThumbprint',
      'createTokenClient',
      'createTokenVerifier',
      'fastifyBearerAuth',
      'fileCredentialStore',
      'isAccountId',
      'netsuiteTokenUrl',
      'rotateCertificate',
      'verifiedToken',
    ]);
    for (const E of [
      ConfigurationError,
      NetworkError,
      TokenRequestError,
      JwksError,
      client.RotationError,
    ]) {
      assert.equal(E.prototype instanceof CertmintClientError, true);
    }
  });
});
