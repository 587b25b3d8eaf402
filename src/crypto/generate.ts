/**
 * Self-signed client certificates without OpenSSL (`certmint cert generate`), with Node's
 * WebCrypto and @peculiar/x509. ES* keys are self-signed with ECDSA; PS* keys are ordinary RSA
 * keys (rsaEncryption SPKI, which every JOSE library can import) self-signed with RSA-PSS — the
 * same shape as Oracle's `openssl req -newkey rsa:4096 -sigopt rsa_padding_mode:pss …` command.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { invalidInput } from '../domain/errors.ts';
import { ALGORITHMS, type AssertionAlg, isAssertionAlg } from './algorithms.ts';
import { toPem } from './pem.ts';

export interface GenerateOptions {
  alg: AssertionAlg;
  /** RSA only: 3072 (default) or 4096. */
  bits?: 3072 | 4096;
  /** Validity in days from `now` (default 365). */
  days?: number;
  /** Distinguished name, e.g. `CN=billing sync, O=Example` (default `CN=certmint client`). */
  subject?: string;
  /** Start of validity (ms), from the injected Clock; truncated to the second. */
  now: number;
}

export interface GeneratedCertificate {
  certificatePem: string;
  /** PKCS#8 PEM. Secret: write it with mode 0600 and never log it. */
  privateKeyPem: string;
}

export const DEFAULT_SUBJECT = 'CN=certmint client';
export const DEFAULT_DAYS = 365;
export const DEFAULT_RSA_BITS = 3072;

const HASH_NAMES = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;
const DAY_MS = 86_400_000;

function validate(opts: GenerateOptions): { bits: number; days: number; subject: string } {
  if (!isAssertionAlg(opts.alg)) {
    throw invalidInput(
      'certificate.generate_alg',
      `"${String(opts.alg).slice(0, 20)}" is not an assertion algorithm: use ES256, ES384, ES512, PS256, PS384 or PS512`,
    );
  }
  const bits = opts.bits ?? DEFAULT_RSA_BITS;
  if (ALGORITHMS[opts.alg].family === 'ec' && opts.bits !== undefined) {
    throw invalidInput(
      'certificate.generate_bits',
      `${opts.alg} uses a fixed EC curve: leave out the key size (it applies to PS256/PS384/PS512 only)`,
    );
  }
  if (bits !== 3072 && bits !== 4096) {
    throw invalidInput(
      'certificate.generate_bits',
      `An RSA key of ${bits} bits would be refused: use 3072 or 4096 bits`,
    );
  }
  const days = opts.days ?? DEFAULT_DAYS;
  if (!Number.isInteger(days) || days < 1) {
    throw invalidInput(
      'certificate.generate_days',
      `The validity must be a whole number of days, at least 1 (got ${String(days).slice(0, 20)})`,
    );
  }
  const subject = opts.subject ?? DEFAULT_SUBJECT;
  if (!isDistinguishedName(subject)) {
    throw invalidInput(
      'certificate.generate_subject',
      `"${subject.slice(0, 60)}" is not a distinguished name: write it like CN=billing sync, O=Example`,
    );
  }
  return { bits, days, subject };
}

/** @peculiar/x509 reads text without `=` as an empty name: demand at least one non-empty RDN. */
function isDistinguishedName(subject: string): boolean {
  try {
    const rdns = new Name(subject).toJSON();
    return (
      rdns.length > 0 &&
      rdns.every((rdn) =>
        Object.values(rdn).every((values) =>
          values.every((v) => typeof v === 'string' && v.trim() !== ''),
        ),
      )
    );
  } catch {
    return false;
  }
}

/** Makes a key pair and a self-signed certificate the certificate policy accepts. */
export async function generateCertificate(opts: GenerateOptions): Promise<GeneratedCertificate> {
  const { bits, days, subject } = validate(opts);
  const spec = ALGORITHMS[opts.alg];
  const hash = HASH_NAMES[spec.hash];
  const keyAlgorithm =
    spec.family === 'ec'
      ? { name: 'ECDSA', namedCurve: spec.curve }
      : {
          name: 'RSA-PSS',
          hash,
          modulusLength: bits,
          publicExponent: new Uint8Array([1, 0, 1]),
        };
  const signingAlgorithm =
    spec.family === 'ec'
      ? { name: 'ECDSA', hash }
      : { name: 'RSA-PSS', hash, saltLength: spec.hashLength };
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;

  const notBefore = new Date(Math.floor(opts.now / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + days * DAY_MS);
  // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; 16 random bytes, top bit clear.
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;

  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: subject,
      notBefore,
      notAfter,
      keys,
      signingAlgorithm,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certificatePem: toPem(new Uint8Array(certificate.rawData), 'CERTIFICATE'),
    privateKeyPem: toPem(new Uint8Array(pkcs8), 'PRIVATE KEY'),
  };
}
