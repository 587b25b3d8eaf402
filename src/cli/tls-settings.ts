/**
 * `serve`'s TLS settings (flag, else environment variable, else off; docs/cli.md): HTTPS with
 * a certificate and key, whether clients are asked for a certificate (RFC 8705 certificate-bound
 * tokens), and the header a TLS-terminating proxy forwards the client certificate in. Every
 * mistake is one line naming the flag or variable it came from.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import {
  CLIENT_CERTIFICATE_MODES,
  type ClientCertificateMode,
  type TlsSettings,
} from '../http/tls.ts';
import { CliError } from './errors.ts';
import { envVar, resolvePath } from './io.ts';

export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  clientCerts?: string;
  clientCertHeader?: string;
}

export interface ServeTls {
  /** HTTPS settings, or null for plain HTTP. */
  tls: TlsSettings | null;
  /** Lower-case header name of a TLS-terminating proxy, or null (no header is believed). */
  clientCertificateHeader: string | null;
}

/** RFC 9110 §5.1 field name (a token). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

function setting(flag: string | undefined, flagName: string, env: string) {
  if (flag !== undefined) return { value: flag, from: flagName };
  const v = envVar(env);
  return v === undefined ? null : { value: v, from: env };
}

function readPem(from: string, file: string): Buffer {
  try {
    return readFileSync(resolvePath(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a directory'
          : (code ?? 'unreadable');
    throw new CliError(`cannot read ${from} ${file}: ${why}`);
  }
}

/**
 * Node's own checks, at start, one file at a time so the message names the culprit: a broken
 * or mismatched pair fails here, not on every connection.
 */
function checkPair(cert: Buffer, key: Buffer, certFrom: string, keyFrom: string): void {
  const fails = (o: { cert?: Buffer; key?: Buffer }): boolean => {
    try {
      createSecureContext(o);
      return false;
    } catch {
      return true;
    }
  };
  if (fails({ key })) {
    throw new CliError(`${keyFrom} is not a PEM private key (an unencrypted one)`);
  }
  if (fails({ cert })) throw new CliError(`${certFrom} is not a PEM certificate`);
  if (fails({ cert, key })) {
    throw new CliError(`${keyFrom} is not the private key of the certificate in ${certFrom}`);
  }
}

export function tlsSettings(o: TlsFlags): ServeTls {
  const cert = setting(o.tlsCert, '--tls-cert', 'CERTMINT_TLS_CERT');
  const key = setting(o.tlsKey, '--tls-key', 'CERTMINT_TLS_KEY');
  const mode = setting(o.clientCerts, '--client-certs', 'CERTMINT_CLIENT_CERTS');
  const header = setting(o.clientCertHeader, '--client-cert-header', 'CERTMINT_CLIENT_CERT_HEADER');

  if (mode && !(CLIENT_CERTIFICATE_MODES as readonly string[]).includes(mode.value)) {
    throw new CliError(
      `${mode.from} must be one of ${CLIENT_CERTIFICATE_MODES.join(', ')} (got "${mode.value.slice(0, 20)}")`,
      2,
    );
  }
  if (header && !FIELD_NAME.test(header.value)) {
    throw new CliError(
      `${header.from} must be an HTTP header name such as x-ssl-client-cert (got "${header.value.slice(0, 30)}")`,
      2,
    );
  }
  const clientCertificateHeader = header ? header.value.toLowerCase() : null;
  if ((cert === null) !== (key === null)) {
    const [given, missing] = cert ? [cert.from, '--tls-key'] : [key?.from, '--tls-cert'];
    throw new CliError(`${given} needs ${missing} too (or their CERTMINT_TLS_* variables)`, 2);
  }
  const clientCertificates = (mode?.value ?? 'none') as ClientCertificateMode;
  if (cert === null || key === null) {
    if (clientCertificates === 'request') {
      throw new CliError(
        `${mode?.from} request needs HTTPS: give --tls-cert and --tls-key (behind a TLS-terminating proxy, use --client-cert-header instead)`,
        2,
      );
    }
    return { tls: null, clientCertificateHeader };
  }
  const certPem = readPem(cert.from, cert.value);
  const keyPem = readPem(key.from, key.value);
  checkPair(certPem, keyPem, `${cert.from} ${cert.value}`, `${key.from} ${key.value}`);
  return {
    tls: { cert: certPem, key: keyPem, clientCertificates },
    clientCertificateHeader,
  };
}
