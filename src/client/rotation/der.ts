/**
 * The few DER encodings (ITU-T X.690 §8, §10) a self-signed X.509 certificate needs. The SDK may
 * import only jose and node: built-ins, and neither writes certificates, so this is written out:
 * small, definite-length only, and tested by OpenSSL parsing what it makes.
 */

/** Tag, length (short form below 128, else long form: X.690 §8.1.3.5), contents. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) {
    length = Buffer.from([n]);
  } else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
/** [n] EXPLICIT: context-specific, constructed. */
export const explicit = (n: number, inner: Uint8Array): Buffer => tlv(0xa0 | n, inner);
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
export const boolean = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
export const octetString = (b: Uint8Array): Buffer => tlv(0x04, b);
export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
/** BIT STRING with `unused` padding bits in its last octet (X.690 §8.6.2). */
export const bitString = (b: Uint8Array, unused = 0): Buffer =>
  tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));

/** A non-negative INTEGER from big-endian bytes, minimal (X.690 §8.3.2): a 0x00 only before a high bit. */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let b = Buffer.from(bytes);
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  if (b.length === 0) b = Buffer.from([0]);
  if ((b[0] as number) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

export const smallInteger = (n: number): Buffer => {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return unsignedInteger(Buffer.from(bytes));
};

/** OBJECT IDENTIFIER (X.690 §8.19): first two arcs in one octet, then base-128 arcs. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/**
 * RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both in UTC to the second.
 */
export function time(ms: number): Buffer {
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString(); // 2026-11-01T12:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, ''); // 20261101120000
  const year = Number(digits.slice(0, 4));
  if (year < 2050) return tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
  return tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}
