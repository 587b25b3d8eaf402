/**
 * A new key pair and a self-signed X.509 certificate for it (RFC 5280), made with node:crypto and
 * der.ts: what certificate rotation uploads. The shape is the one Oracle's OpenSSL commands
 * make and NetSuite accepts: EC keys on P-256/384/521 with a named curve, self-signed with ECDSA;
 * RSA 3072/4096 keys (rsaEncryption SPKI, which every JOSE library can use) self-signed with
 * RSASSA-PSS (RFC 4055).
 */
import {
  constants,
  createHash,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { AssertionAlg } from '../keys.ts';
import {
  bitString,
  boolean,
  explicit,
  nullValue,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.ts';

const generate = promisify(generateKeyPair);

export interface NewCertificateOptions {
  alg: AssertionAlg;
  /** RSA only: 3072 (default) or 4096. */
  bits?: number;
  /** Days of validity from notBefore. */
  days: number;
  /** The subject's common name. */
  commonName: string;
  /** Milliseconds since the epoch. */
  now: number;
}

export interface NewCertificate {
  alg: AssertionAlg;
  privateKey: KeyObject;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  certificatePem: string;
  /** base64url(SHA-256(DER)): NetSuite's certificate id of this certificate. */
  certificateId: string;
  notBefore: number;
  notAfter: number;
}

/**
 * notBefore is set this far back: a server whose clock is a little behind ours would otherwise
 * see a certificate that is not valid yet and refuse the very first token request with it.
 */
export const NOT_BEFORE_BACKDATE_MS = 5 * 60_000;

const CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const HASH_OID: Record<string, string> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};
const ECDSA_OID: Record<string, string> = {
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';
const HASH_BYTES: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

const hashOf = (alg: AssertionAlg) => `sha${alg.slice(2)}`;

/** RFC 5758 §3.2 (ECDSA: no parameters) or RFC 4055 §3.1 (RSASSA-PSS with its parameters). */
function signatureAlgorithm(alg: AssertionAlg): Buffer {
  const hash = hashOf(alg);
  if (alg.startsWith('ES')) return sequence(oid(ECDSA_OID[hash] as string));
  const hashId = sequence(oid(HASH_OID[hash] as string), nullValue());
  return sequence(
    oid(RSASSA_PSS),
    sequence(
      explicit(0, hashId),
      explicit(1, sequence(oid(MGF1), hashId)),
      explicit(2, smallInteger(HASH_BYTES[hash] as number)),
    ),
  );
}

/** Name ::= RDNSequence with one CN (2.5.4.3) as UTF8String. */
const nameOf = (cn: string) => sequence(set(sequence(oid('2.5.4.3'), utf8String(cn))));

function extensions(spki: Buffer): Buffer {
  // subjectPublicKey bits: the SPKI's BIT STRING contents after its unused-bits octet.
  const publicKeyBits = spkiPublicKey(spki);
  const ski = createHash('sha1').update(publicKeyBits).digest(); // RFC 5280 §4.2.1.2 (1)
  return explicit(
    3,
    sequence(
      // basicConstraints, critical: not a CA (an empty SEQUENCE: cA DEFAULT FALSE).
      sequence(oid('2.5.29.19'), boolean(true), octetString(sequence())),
      // keyUsage, critical: digitalSignature (bit 0; 7 unused bits).
      sequence(oid('2.5.29.15'), boolean(true), octetString(bitString(Buffer.from([0x80]), 7))),
      sequence(oid('2.5.29.14'), octetString(octetString(ski))),
    ),
  );
}

/** The subjectPublicKey of a DER SubjectPublicKeyInfo (its last element, a BIT STRING). */
function spkiPublicKey(spki: Buffer): Buffer {
  // SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip the outer header and the algorithm.
  let i = 1 + lengthOctets(spki, 1);
  i += 1 + lengthOctets(spki, i + 1) + contentLength(spki, i + 1);
  const start = i + 1 + lengthOctets(spki, i + 1);
  return spki.subarray(start + 1, start + contentLength(spki, i + 1));
}

const lengthOctets = (b: Buffer, at: number): number => {
  const first = b[at] as number;
  return first < 0x80 ? 1 : 1 + (first & 0x7f);
};
const contentLength = (b: Buffer, at: number): number => {
  const first = b[at] as number;
  if (first < 0x80) return first;
  let n = 0;
  for (let k = 1; k <= (first & 0x7f); k++) n = n * 256 + (b[at + k] as number);
  return n;
};

function pem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

async function keyPair(alg: AssertionAlg, bits: number) {
  if (alg.startsWith('ES')) return generate('ec', { namedCurve: CURVES[alg] as string });
  return generate('rsa', { modulusLength: bits, publicExponent: 0x10001 });
}

export async function newCertificate(o: NewCertificateOptions): Promise<NewCertificate> {
  const { publicKey, privateKey } = await keyPair(o.alg, o.bits ?? 3072);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const notBefore = Math.floor((o.now - NOT_BEFORE_BACKDATE_MS) / 1000) * 1000;
  const notAfter = notBefore + o.days * 86_400_000;
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random ones with the top bit clear.
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
  const sigAlg = signatureAlgorithm(o.alg);
  const name = nameOf(o.commonName);
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    sigAlg,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    spki,
    extensions(spki),
  );
  const hash = hashOf(o.alg);
  const signature = o.alg.startsWith('ES')
    ? sign(hash, tbs, { key: privateKey, dsaEncoding: 'der' })
    : sign(hash, tbs, {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: HASH_BYTES[hash] as number,
      });
  const der = sequence(tbs, sigAlg, bitString(signature));
  return {
    alg: o.alg,
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certificatePem: pem(der, 'CERTIFICATE'),
    certificateId: createHash('sha256').update(der).digest('base64url'),
    notBefore,
    notAfter,
  };
}
