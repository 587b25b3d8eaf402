/**
 * certificateBinding reads the connection's client certificate only for an integration that
 * binds tokens: reading it from a TLS socket costs a few µs on every token request otherwise.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import type { Mapping } from '../../src/domain/mapping.ts';
import { certificateBinding } from '../../src/service/token/mtls.ts';

describe('certificate binding at the token endpoint', () => {
  let mapping: Mapping;
  let der: Buffer;
  before(async () => {
    const c = await generateCertificate({ alg: 'ES256', now: Date.now() - 60_000 });
    mapping = { pem: c.certificatePem } as Mapping;
    der = new X509Certificate(c.certificatePem).raw;
  });

  /** A sender whose certificate getter counts its reads. */
  const counting = () => {
    const reads = { n: 0 };
    return {
      reads,
      sender: {
        tlsClientCertificate: () => {
          reads.n += 1;
          return der;
        },
      },
    };
  };

  it('off: the certificate is never read, and nothing is bound', () => {
    const { reads, sender } = counting();
    assert.deepEqual(certificateBinding({ mtlsBinding: 'off' }, mapping, sender), {});
    assert.equal(reads.n, 0);
  });

  it('allowed: the certificate is read once and binds the token', () => {
    const { reads, sender } = counting();
    const cnf = certificateBinding({ mtlsBinding: 'allowed' }, mapping, sender);
    assert.equal(reads.n, 1);
    assert.ok('x5t#S256' in cnf);
  });

  it('required without a certificate source: ClientCertificateMissing', () => {
    assert.throws(
      () => certificateBinding({ mtlsBinding: 'required' }, mapping, {}),
      (e: unknown) => (e as { detail?: string }).detail === 'ClientCertificateMissing',
    );
  });
});
