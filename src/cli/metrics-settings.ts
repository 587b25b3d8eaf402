/**
 * The metrics settings of `serve` (docs/metrics.md): a listener of their own
 * (`--metrics-listen HOST:PORT` / CERTMINT_METRICS_LISTEN) and/or a bearer token for /metrics on
 * the main listener (`--metrics-token-file` / CERTMINT_METRICS_TOKEN). Neither: no /metrics.
 * Like every secret, the token never comes from a flag's value (`ps` shows command lines).
 */
import { readFileSync } from 'node:fs';
import { buildMetricsApp } from '../http/metrics.ts';
import type { MetricsSource } from '../service/metrics.ts';
import { CliError } from './errors.ts';
import { envVar, resolvePath } from './io.ts';

export interface MetricsFlags {
  metricsListen?: string;
  metricsTokenFile?: string;
}

export interface MetricsSettings {
  /** The separate listener, or null. */
  listen: { host: string; port: number } | null;
  /** The bearer token of /metrics on the main listener, or null (not served there). */
  token: string | null;
}

/** Short tokens can be guessed; 16 characters of a random token are far beyond that. */
export const MIN_METRICS_TOKEN_LENGTH = 16;
/** RFC 6750 §2.1 b64token: what a client can send in `Authorization: Bearer`. */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

/** `HOST:PORT`, `[IPv6]:PORT`; port 0 takes a free one. */
export function parseListen(text: string, from: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):([0-9]{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new CliError(
      `${from} must be HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464 (got "${text.slice(0, 40)}")`,
      2,
    );
  }
  return { host: m[1] ?? m[2] ?? '', port };
}

function readToken(o: MetricsFlags): { token: string; from: string } | null {
  if (o.metricsTokenFile === undefined) {
    const env = envVar('CERTMINT_METRICS_TOKEN');
    return env === undefined ? null : { token: env.trim(), from: 'CERTMINT_METRICS_TOKEN' };
  }
  const from = `--metrics-token-file ${o.metricsTokenFile}`;
  try {
    return { token: readFileSync(resolvePath(o.metricsTokenFile), 'utf8').trim(), from };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${from}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`,
    );
  }
}

export function metricsSettings(o: MetricsFlags): MetricsSettings {
  const listenText = o.metricsListen ?? envVar('CERTMINT_METRICS_LISTEN');
  const listen =
    listenText === undefined
      ? null
      : parseListen(
          listenText,
          o.metricsListen !== undefined ? '--metrics-listen' : 'CERTMINT_METRICS_LISTEN',
        );
  const t = readToken(o);
  if (t !== null && (t.token.length < MIN_METRICS_TOKEN_LENGTH || !B64TOKEN.test(t.token))) {
    throw new CliError(
      `${t.from}: the metrics token must be ${MIN_METRICS_TOKEN_LENGTH} characters or more of A-Z a-z 0-9 . _ ~ + / - (e.g. openssl rand -hex 32)`,
      2,
    );
  }
  return { listen, token: t?.token ?? null };
}

/**
 * The separate metrics listener when configured; a busy or unusable address is one line.
 * `services.metrics`: the Services' own in one process, the whole node's in a `--workers` primary.
 */
export async function listenMetrics(
  services: { metrics: MetricsSource },
  s: MetricsSettings,
): Promise<{ close: () => Promise<void>; address: string } | null> {
  if (s.listen === null) return null;
  const app = await buildMetricsApp(services);
  try {
    const address = await app.listen(s.listen);
    return { close: () => app.close(), address };
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    const where = `${s.listen.host}:${s.listen.port}`;
    if (code === 'EADDRINUSE') {
      throw new CliError(`--metrics-listen ${where} is already in use: choose another port`);
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
      throw new CliError(`cannot listen on --metrics-listen ${where} (${code}): choose another`);
    }
    throw e;
  }
}
