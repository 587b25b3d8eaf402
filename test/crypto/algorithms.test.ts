/**
 * The algorithm registry and the hot-path verifier, against signatures made by independent
 * implementations: the `openssl dgst` binary and jose.
 */
import assert from 'node:assert/strict';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  X509Certificate,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { CompactSign, importPKCS8 } from 'jose';
import {
  ALGORITHMS,
  ASSERTION_ALGS,
  type AssertionAlg,
  algForKey,
  algMatchesKey,
  createSignature,
  isAssertionAlg,
  prepareVerificationKey,
  type VerificationKey,
  verifySignature,
} from '../../src/crypto/algorithms.ts';
import { inspectCertificate } from '../../src/crypto/certificate.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import {
  type CertKind,
  type CertMaterial,
  makeCert,
  runOpenssl,
  tempDir,
} from '../support/openssl.ts';
import { RFC7518 } from '../support/rfc7518.ts';

const KINDS = [
  'ec-p256',
  'ec-p384',
  'ec-p521',
  'rsa-3072',
  'rsa-pss-3072',
  'rsa-4096-pss-sig',
  'der',
  'ed25519',
] as const;
type Kind = (typeof KINDS)[number];
const m = {} as Record<Kind, CertMaterial>;
const vk = {} as Record<Exclude<Kind, 'ed25519'>, VerificationKey>;

before(async () => {
  await Promise.all(
    KINDS.map(async (k) => {
      m[k] = await makeCert(k satisfies CertKind);
    }),
  );
  for (const k of KINDS) if (k !== 'ed25519') vk[k] = prepareVerificationKey(m[k].certPem);
});

/** Which keys each algorithm must (and must only) work with. */
const FITS: Record<AssertionAlg, ReadonlyArray<Exclude<Kind, 'ed25519' | 'der'>>> = {
  ES256: ['ec-p256'],
  ES384: ['ec-p384'],
  ES512: ['ec-p521'],
  PS256: ['rsa-3072', 'rsa-pss-3072', 'rsa-4096-pss-sig'],
  PS384: ['rsa-3072', 'rsa-pss-3072', 'rsa-4096-pss-sig'],
  PS512: ['rsa-3072', 'rsa-pss-3072', 'rsa-4096-pss-sig'],
};
const KEY_KINDS = [
  'ec-p256',
  'ec-p384',
  'ec-p521',
  'rsa-3072',
  'rsa-pss-3072',
  'rsa-4096-pss-sig',
] as const;

const SIGNING_INPUT = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ0ZXN0In0';

/** `openssl dgst` signature: PSS with the given salt length (default RFC 7518's), or DER ECDSA. */
async function opensslSign(
  keyPath: string,
  alg: AssertionAlg,
  data: string,
  saltLen?: string,
): Promise<Buffer> {
  const spec = RFC7518[alg];
  const pss =
    spec.family === 'rsa'
      ? [
          '-sigopt',
          'rsa_padding_mode:pss',
          '-sigopt',
          `rsa_pss_saltlen:${saltLen ?? spec.hashLength}`,
        ]
      : [];
  return runOpenssl(['dgst', `-${spec.hash}`, '-sign', keyPath, ...pss], {
    input: Buffer.from(data),
  });
}

describe('registry', () => {
  it('lists exactly the six NetSuite algorithms, with their hashes and lengths', () => {
    assert.deepEqual([...ASSERTION_ALGS], ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512']);
    for (const alg of ASSERTION_ALGS) {
      assert.deepEqual(ALGORITHMS[alg], { alg, ...RFC7518[alg] }, alg);
      // The hash lengths are what Node's hashes really produce.
      assert.equal(RFC7518[alg].hashLength, createHash(RFC7518[alg].hash).digest().length);
    }
  });

  it('isAssertionAlg: the six, and nothing else (RS*, HS*, none, case, prototype names)', () => {
    for (const alg of ASSERTION_ALGS) assert.equal(isAssertionAlg(alg), true);
    for (const bad of [
      'RS256',
      'HS256',
      'none',
      'es256',
      'EdDSA',
      '',
      '__proto__',
      'toString',
      'constructor',
      42,
      null,
      undefined,
    ]) {
      assert.equal(isAssertionAlg(bad), false, String(bad));
    }
  });
});

describe('algMatchesKey', () => {
  for (const alg of ASSERTION_ALGS) {
    it(`${alg} fits exactly ${FITS[alg].join(', ')}`, () => {
      for (const k of KEY_KINDS) {
        const expected = FITS[alg].includes(k);
        assert.equal(algMatchesKey(alg, vk[k]), expected, `${alg} / ${k} (VerificationKey)`);
        assert.equal(algMatchesKey(alg, vk[k].keyObject), expected, `${alg} / ${k} (KeyObject)`);
        assert.equal(
          algMatchesKey(alg, createPrivateKey(m[k].keyPem)),
          expected,
          `${alg} / ${k} (private)`,
        );
      }
    });
  }

  it('no algorithm fits an Ed25519 key', () => {
    const key = new X509Certificate(m.ed25519.certPem).publicKey;
    for (const alg of ASSERTION_ALGS) assert.equal(algMatchesKey(alg, key), false);
  });
});

describe('algForKey', () => {
  it('P-256→ES256, P-384→ES384, P-521→ES512, RSA of either SPKI type→PS256', () => {
    const expected: Record<(typeof KEY_KINDS)[number], AssertionAlg> = {
      'ec-p256': 'ES256',
      'ec-p384': 'ES384',
      'ec-p521': 'ES512',
      'rsa-3072': 'PS256',
      'rsa-pss-3072': 'PS256',
      'rsa-4096-pss-sig': 'PS256',
    };
    for (const k of KEY_KINDS) {
      assert.equal(algForKey(vk[k].keyObject), expected[k], k);
      assert.equal(algForKey(createPrivateKey(m[k].keyPem)), expected[k], `${k} private`);
    }
  });

  it('refuses a key no algorithm fits', () => {
    assert.throws(
      () => algForKey(createPrivateKey(m.ed25519.keyPem)),
      (e: unknown) => isDomainError(e) && e.code === 'crypto.unsupported_key',
    );
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    assert.throws(
      () => algForKey(k1),
      (e: unknown) => isDomainError(e) && e.code === 'crypto.unsupported_key',
    );
  });
});

describe('prepareVerificationKey', () => {
  it('from facts, PEM or KeyObject: the same key', () => {
    const facts = inspectCertificate(m['rsa-pss-3072'].certPem, { now: Date.now() });
    const a = prepareVerificationKey(facts);
    const b = prepareVerificationKey(m['rsa-pss-3072'].certPem);
    const c = prepareVerificationKey(createPublicKey(m['rsa-pss-3072'].keyPem));
    for (const k of [a, b, c]) {
      assert.equal(k.family, 'rsa');
      assert.equal(k.keySize, 3072);
      assert.equal(k.keyObject.asymmetricKeyType, 'rsa-pss');
      assert.deepEqual(Object.keys(k.inputs).sort(), ['PS256', 'PS384', 'PS512']);
    }
    const ec = prepareVerificationKey(m['ec-p521'].certPem);
    assert.deepEqual([ec.family, ec.curve, ec.keySize], ['ec', 'P-521', 521]);
    assert.deepEqual(Object.keys(ec.inputs), ['ES512']);
  });

  it('refuses an Ed25519 certificate', () => {
    assert.throws(
      () => prepareVerificationKey(m.ed25519.certPem),
      (e: unknown) => isDomainError(e) && e.code === 'crypto.unsupported_key',
    );
  });
});

describe('verifySignature accepts', () => {
  for (const alg of ASSERTION_ALGS) {
    for (const k of FITS[alg]) {
      it(`${alg} signed by OpenSSL with the ${k} key`, async () => {
        let sig = await opensslSign(m[k].keyPath, alg, SIGNING_INPUT);
        const spec = RFC7518[alg];
        if (spec.family === 'ec') {
          // JWS wants raw r||s (RFC 7518 §3.4); OpenSSL writes DER, which must be refused as is.
          assert.equal(verifySignature(alg, vk[k], SIGNING_INPUT, sig), false);
          sig = derToRaw(sig, spec.signatureLength);
        }
        assert.equal(verifySignature(alg, vk[k], SIGNING_INPUT, sig), true);
        assert.equal(verifySignature(alg, vk[k], Buffer.from(SIGNING_INPUT), sig), true);
        assert.equal(verifySignature(alg, vk[k], `${SIGNING_INPUT}x`, sig), false);
      });
    }
  }

  // jose cannot use RSASSA-PSS SPKI keys (DESIGN "Known traps"), so it signs with the others.
  for (const [alg, k] of [
    ['ES256', 'ec-p256'],
    ['ES384', 'ec-p384'],
    ['ES512', 'ec-p521'],
    ['PS256', 'rsa-3072'],
    ['PS512', 'rsa-4096-pss-sig'],
  ] as const) {
    it(`a ${alg} JWS made by jose with the ${k} key`, async () => {
      const jws = await new CompactSign(new TextEncoder().encode('{"iss":"x"}'))
        .setProtectedHeader({ alg, kid: 'k' })
        .sign(await importPKCS8(m[k].keyPem, alg));
      const [h, p, s] = jws.split('.');
      assert.equal(
        verifySignature(alg, vk[k], `${h}.${p}`, Buffer.from(s ?? '', 'base64url')),
        true,
      );
    });
  }

  it('createSignature signs what verifySignature accepts, for every fitting key', () => {
    for (const alg of ASSERTION_ALGS) {
      for (const k of FITS[alg]) {
        const sig = createSignature(alg, createPrivateKey(m[k].keyPem), SIGNING_INPUT);
        assert.equal(verifySignature(alg, vk[k], SIGNING_INPUT, sig), true, `${alg} ${k}`);
      }
    }
  });
});

describe('verifySignature refuses (false, never a throw)', () => {
  it('a signature by another key of the same curve', () => {
    const sig = createSignature('ES256', createPrivateKey(m['ec-p256'].keyPem), SIGNING_INPUT);
    assert.equal(verifySignature('ES256', vk.der, SIGNING_INPUT, sig), false);
  });

  it('an ES256 signature on a P-384 key (and the alg/key mismatch itself)', () => {
    const sig = createSignature('ES256', createPrivateKey(m['ec-p256'].keyPem), SIGNING_INPUT);
    assert.equal(algMatchesKey('ES256', vk['ec-p384']), false);
    assert.equal(verifySignature('ES256', vk['ec-p384'], SIGNING_INPUT, sig), false);
    assert.equal(verifySignature('ES384', vk['ec-p384'], SIGNING_INPUT, sig), false);
  });

  it('truncated, padded or empty signatures', () => {
    for (const [alg, k] of [
      ['ES256', 'ec-p256'],
      ['ES512', 'ec-p521'],
      ['PS256', 'rsa-pss-3072'],
    ] as const) {
      const sig = createSignature(alg, createPrivateKey(m[k].keyPem), SIGNING_INPUT);
      for (const bad of [
        sig.subarray(0, sig.length - 1),
        Buffer.concat([sig, Buffer.from([0])]),
        Buffer.alloc(0),
      ]) {
        assert.equal(
          verifySignature(alg, vk[k], SIGNING_INPUT, bad),
          false,
          `${alg} ${bad.length}`,
        );
      }
    }
  });

  it('a PS256 signature checked as PS384; an RS256 (PKCS#1 v1.5) signature as PS256', async () => {
    const ps256 = createSignature('PS256', createPrivateKey(m['rsa-3072'].keyPem), SIGNING_INPUT);
    assert.equal(verifySignature('PS384', vk['rsa-3072'], SIGNING_INPUT, ps256), false);
    const rs256 = await runOpenssl(['dgst', '-sha256', '-sign', m['rsa-3072'].keyPath], {
      input: Buffer.from(SIGNING_INPUT),
    });
    assert.equal(verifySignature('PS256', vk['rsa-3072'], SIGNING_INPUT, rs256), false);
  });

  it('a PSS salt other than the hash length (RFC 7518 §3.5)', async () => {
    const max = await opensslSign(m['rsa-3072'].keyPath, 'PS256', SIGNING_INPUT, 'max');
    assert.equal(verifySignature('PS256', vk['rsa-3072'], SIGNING_INPUT, max), false);
    const exact = await opensslSign(m['rsa-3072'].keyPath, 'PS256', SIGNING_INPUT, '32');
    assert.equal(verifySignature('PS256', vk['rsa-3072'], SIGNING_INPUT, exact), true);
  });

  it('an RSASSA-PSS key restricted to SHA-256 used for PS384', async () => {
    const dir = await tempDir();
    const key = join(dir, 'restricted.pem');
    await runOpenssl([
      'genpkey',
      '-algorithm',
      'RSA-PSS',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-pkeyopt',
      'rsa_pss_keygen_md:sha256',
      '-pkeyopt',
      'rsa_pss_keygen_mgf1_md:sha256',
      '-pkeyopt',
      'rsa_pss_keygen_saltlen:32',
      '-out',
      key,
    ]);
    const cert = await runOpenssl([
      'req',
      '-new',
      '-x509',
      '-key',
      key,
      '-subj',
      '/CN=test',
      '-days',
      '2',
    ]);
    const restricted = prepareVerificationKey(cert.toString('utf8'));
    const priv = createPrivateKey(await readFile(key));
    const ok = createSignature('PS256', priv, SIGNING_INPUT);
    assert.equal(verifySignature('PS256', restricted, SIGNING_INPUT, ok), true);
    const other = createSignature('PS384', createPrivateKey(m['rsa-3072'].keyPem), SIGNING_INPUT);
    assert.equal(verifySignature('PS384', restricted, SIGNING_INPUT, other), false);
  });

  it('createSignature refuses a key that does not fit the algorithm', () => {
    assert.throws(
      () => createSignature('ES384', createPrivateKey(m['ec-p256'].keyPem), SIGNING_INPUT),
      (e: unknown) =>
        isDomainError(e) && e.code === 'crypto.key_alg_mismatch' && /P-384/.test(e.message),
    );
    assert.throws(
      () => createSignature('PS256', createPublicKey(m['rsa-3072'].keyPem), SIGNING_INPUT),
      (e: unknown) => isDomainError(e) && e.code === 'crypto.key_alg_mismatch',
    );
  });
});

/** DER ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }) → raw r||s, for OpenSSL output. */
function derToRaw(der: Buffer, length: number): Buffer {
  let pos = 2;
  if ((der[1] as number) & 0x80) pos += (der[1] as number) & 0x7f;
  const ints: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    assert.equal(der[pos], 0x02);
    const len = der[pos + 1] as number;
    let v = der.subarray(pos + 2, pos + 2 + len);
    while (v.length > length / 2 && v[0] === 0) v = v.subarray(1);
    ints.push(Buffer.concat([Buffer.alloc(length / 2 - v.length), v]));
    pos += 2 + len;
  }
  return Buffer.concat(ints);
}
