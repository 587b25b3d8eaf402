/**
 * RSA 8192 is refused like every size but 3072 and 4096. In its own file because making the key
 * takes 10 to 60 s the first time (made once per run and kept in os.tmpdir() by
 * test/support/key-cache.ts), so it runs beside the other files instead of holding one up.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { it } from 'node:test';
import { CERTIFICATE_POLICY_CODES, inspectCertificate } from '../../src/crypto/certificate.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import { makeCert } from '../support/openssl.ts';

it('an RSA 8192-bit certificate is refused: use 3072 or 4096 bits', async () => {
  const m = await makeCert('rsa-8192');
  assert.equal(new X509Certificate(m.certPem).publicKey.asymmetricKeyDetails?.modulusLength, 8192);
  assert.throws(
    () => inspectCertificate(m.certBytes, { fileName: 'public.pem', now: Date.now() }),
    (e: unknown) => {
      assert.ok(isDomainError(e));
      assert.equal(e.kind, 'policy');
      assert.equal(e.code, CERTIFICATE_POLICY_CODES.rsaKeySize);
      assert.equal(
        e.message,
        `The certificate's RSA key has 8192 bits, and only 3072 or 4096 bits are accepted: make a new key pair, for example with "certmint cert generate --alg PS256 --bits 3072 --out public.pem --key-out private.pem"`,
      );
      return true;
    },
  );
});
