/**
 * PEM text handling for the certificate policy (RFC 7468). Strict on purpose: a certificate
 * upload is exactly one `CERTIFICATE` block; CRLF line ends, a byte-order mark and whitespace
 * around the block are tolerated, and so is explanatory text on the lines before it (RFC 7468
 * §2: "data before the encapsulation boundaries are permitted" — e.g. the "Bag Attributes"
 * lines of `openssl pkcs12 -nokeys`, or `openssl x509 -text`). Text after the block, or on the
 * BEGIN line itself, is not.
 */

const BEGIN_LABEL = /-----BEGIN ([A-Z0-9][A-Z0-9 ]*)-----/g;

/** Every label of a `-----BEGIN <label>-----` line in the text, in order. */
export function pemLabels(text: string): string[] {
  const labels: string[] = [];
  for (const m of text.matchAll(BEGIN_LABEL)) labels.push(m[1] as string);
  return labels;
}

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';

/**
 * The DER inside a text that is exactly one CERTIFICATE block (after trimming), possibly after
 * lines of explanatory text, or why not: other text after the block (or before it on the BEGIN
 * line), or broken base64 inside it. Hand-written rather than one regex: a regex with nested
 * whitespace classes backtracks quadratically on 64 KiB of blanks.
 */
export type SingleBlock =
  | { kind: 'ok'; der: Buffer }
  | { kind: 'surrounding_text' }
  | { kind: 'bad_base64' };

export function decodeSingleCertificateBlock(text: string): SingleBlock {
  const trimmed = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .trim();
  const begin = trimmed.indexOf(BEGIN);
  const end = trimmed.lastIndexOf(END);
  if (begin < 0 || end < begin + BEGIN.length) return { kind: 'bad_base64' };
  // Explanatory text ends with a line break: the BEGIN marker starts its own line.
  const startsLine = begin === 0 || trimmed[begin - 1] === '\n';
  if (!startsLine || end + END.length < trimmed.length) return { kind: 'surrounding_text' };
  const body = trimmed.slice(begin + BEGIN.length, end);
  // The markers sit on their own lines; the body is base64 and whitespace only (RFC 7468 §3).
  if (!/^[ \t]*\n/.test(body) || !/\n[ \t]*$/.test(body)) return { kind: 'bad_base64' };
  if (!/^[A-Za-z0-9+/=\s]*$/.test(body)) return { kind: 'bad_base64' };
  const b64 = body.replace(/\s+/g, '');
  if (b64.length === 0 || b64.length % 4 !== 0) return { kind: 'bad_base64' };
  const der = Buffer.from(b64, 'base64');
  // Node's decoder skips bad characters and misplaced padding silently: the canonical round
  // trip proves nothing was lost.
  return der.toString('base64') === b64 ? { kind: 'ok', der } : { kind: 'bad_base64' };
}

/** One PEM block with 64-character lines and a final newline (RFC 7468 §2). */
export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
