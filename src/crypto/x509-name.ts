/**
 * A certificate's subject or issuer Name (RFC 5280 §4.1.2.4) as the one-line text certmint
 * stores and shows, e.g. `CN=billing sync, O=Example`.
 *
 * Why not RFC 4514 exactly: certmint has always written names the way @peculiar/x509's
 * `Name#toString` does — RDNs in certificate (DER) order, not RFC 4514 §2.1's reversed order,
 * joined by ", ", multi-valued RDNs joined by "+" — and stored mappings hold such text. This is
 * that format, over the parsed ASN.1 structure, so nothing already stored changes form.
 * Values are escaped as RFC 4514 §2.4 asks; a value that is not a string is shown as `#` and the
 * hex of its DER (RFC 4514 §2.4, last paragraph).
 */
import type { AttributeTypeAndValue, Name } from '@peculiar/asn1-x509';

/** Short names of the attribute types (OID → name); unknown types are shown by OID. */
const SHORT_NAMES: Readonly<Record<string, string>> = Object.freeze({
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'E',
  '2.5.4.42': 'G',
  '2.5.4.43': 'I',
  '2.5.4.4': 'SN',
  '2.5.4.12': 'T',
});

/** The UTF-8 bytes of a character as `\XX` pairs (RFC 4514 §2.4 hexpair escapes). */
const hexEscape = (char: string): string =>
  `\\${Buffer.from(char, 'utf8').toString('hex').toUpperCase()}`;

/** RFC 4514 §2.4: the special characters, a leading space or '#', a trailing space, controls. */
function escapeValue(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ')
    .replace(/[\r\n\t]/g, hexEscape);
}

function formatAttribute(atv: AttributeTypeAndValue): string {
  const type = SHORT_NAMES[atv.type] ?? atv.type;
  const any = atv.value.anyValue;
  const value =
    any === undefined ? escapeValue(atv.value.toString()) : `#${Buffer.from(any).toString('hex')}`;
  return `${type}=${value}`;
}

export function formatName(name: Name): string {
  return name.map((rdn) => rdn.map(formatAttribute).join('+')).join(', ');
}
