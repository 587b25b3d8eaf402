/**
 * A deliberately tiny DER reader: just enough to see what Node's X509Certificate hides.
 * - the SPKI AlgorithmIdentifier (X.509 / RFC 5280 §4.1.2.7): Node reports an EC key with
 *   explicit curve parameters as `namedCurve: 'prime256v1'`; only the parameters' tag (OID vs
 *   SEQUENCE, RFC 5480 §2.1.1) tells them apart;
 * - the length of the outermost TLV: OpenSSL parses a DER certificate followed by more bytes
 *   (a second certificate, junk) without complaint.
 * Definite lengths only (DER forbids the indefinite form, X.690 §10.1); single-byte tags only.
 * Returns null on anything malformed, never throws.
 */

export interface Tlv {
  readonly tag: number;
  /** Offset of the contents. */
  readonly contentStart: number;
  /** Offset just past the contents. */
  readonly end: number;
}

export function readTlv(buf: Uint8Array, offset: number): Tlv | null {
  if (offset < 0 || offset + 2 > buf.length) return null;
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) return null; // high-tag-number form: never used here
  const first = buf[offset + 1] as number;
  let length: number;
  let pos = offset + 2;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || pos + n > buf.length) return null; // 0 = indefinite form
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[pos + i] as number);
    pos += n;
  }
  const end = pos + length;
  if (end > buf.length) return null;
  return { tag, contentStart: pos, end };
}

/** Dotted form of an OBJECT IDENTIFIER's contents (X.690 §8.19), or null if malformed. */
export function decodeOid(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (value === 0 && b === 0x80) return null; // non-minimal encoding
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return null;
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === bytes.length - 1) {
      return null; // truncated arc
    }
  }
  const head = arcs[0] as number;
  const top = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [top, head - top * 40, ...arcs.slice(1)].join('.');
}

export const TAG_SEQUENCE = 0x30;
export const TAG_OID = 0x06;
export const TAG_NULL = 0x05;

export interface SpkiAlgorithm {
  /** The key algorithm OID, e.g. 1.2.840.10045.2.1 (id-ecPublicKey). */
  readonly oid: string;
  /** What the parameters are: absent, NULL, a named-curve OID, or a SEQUENCE (explicit). */
  readonly params: 'absent' | 'null' | 'oid' | 'sequence' | 'other';
  /** The parameters' OID when `params` is 'oid' (the named curve for EC keys). */
  readonly paramsOid: string | null;
}

/** Reads the AlgorithmIdentifier of a SubjectPublicKeyInfo (DER), or null if malformed. */
export function readSpkiAlgorithm(spki: Uint8Array): SpkiAlgorithm | null {
  const outer = readTlv(spki, 0);
  if (outer === null || outer.tag !== TAG_SEQUENCE) return null;
  const algId = readTlv(spki, outer.contentStart);
  if (algId === null || algId.tag !== TAG_SEQUENCE || algId.end > outer.end) return null;
  const oidTlv = readTlv(spki, algId.contentStart);
  if (oidTlv === null || oidTlv.tag !== TAG_OID || oidTlv.end > algId.end) return null;
  const oid = decodeOid(spki.subarray(oidTlv.contentStart, oidTlv.end));
  if (oid === null) return null;
  if (oidTlv.end === algId.end) return { oid, params: 'absent', paramsOid: null };
  const p = readTlv(spki, oidTlv.end);
  if (p === null || p.end > algId.end) return null;
  switch (p.tag) {
    case TAG_OID:
      return { oid, params: 'oid', paramsOid: decodeOid(spki.subarray(p.contentStart, p.end)) };
    case TAG_SEQUENCE:
      return { oid, params: 'sequence', paramsOid: null };
    case TAG_NULL:
      return { oid, params: 'null', paramsOid: null };
    default:
      return { oid, params: 'other', paramsOid: null };
  }
}

/** Well-known OIDs the certificate policy names in its messages. */
export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  dsa: '1.2.840.10040.4.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  x25519: '1.3.101.110',
  x448: '1.3.101.111',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
  secp256k1: '1.3.132.0.10',
} as const;
