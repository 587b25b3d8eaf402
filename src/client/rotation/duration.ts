import { ConfigurationError } from '../errors.ts';

const UNIT: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** `'30d'`, `'12h'`, `'15m'`, `'90s'`, or milliseconds as a number. */
export function durationMs(v: unknown, name: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  const m = typeof v === 'string' ? /^([0-9]{1,6})([dhms])$/.exec(v.trim()) : null;
  if (!m) {
    throw new ConfigurationError(
      `${name} must be a duration like '30d', '12h', '15m' or a number of milliseconds, not ${JSON.stringify(v)}`,
    );
  }
  return Number(m[1]) * (UNIT[m[2] as string] as number);
}
