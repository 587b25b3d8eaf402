/** Shared assertions of the certificate tests (not a test file itself). */
import assert from 'node:assert/strict';
import { isDomainError } from '../../src/domain/errors.ts';

export const MAKE_NEW =
  'make a new key pair and certificate, for example with "certmint cert generate --alg ES256 --out public.pem --key-out private.pem"';

export const UNREADABLE =
  'The file is not a readable X.509 certificate: upload one certificate in PEM (-----BEGIN CERTIFICATE-----) or DER form';

/** Asserts a policy refusal with exactly this code and message. */
export function refuses(fn: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDomainError(e), `expected a DomainError, got ${String(e)}`);
    assert.equal(e.kind, 'policy');
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}
