/**
 * Property-based fuzzing settings shared by the fuzz tests: a fixed seed and a bounded number of
 * runs in CI (the same inputs every time, each fuzz file well under 30 s); a longer or different
 * run on demand:
 *
 *   CERTMINT_FUZZ_RUNS=20000 npm test -- fuzz     more inputs per property
 *   CERTMINT_FUZZ_SEED=123 npm test -- fuzz       other inputs (a failure prints its seed/path)
 */
import type { Parameters } from 'fast-check';

const intFromEnv = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1`);
  return n;
};

/** fast-check parameters: `ciRuns` inputs unless CERTMINT_FUZZ_RUNS says otherwise. */
export function fuzzParameters<T>(ciRuns: number): Parameters<T> {
  return {
    seed: intFromEnv('CERTMINT_FUZZ_SEED') ?? 20_261_101,
    numRuns: intFromEnv('CERTMINT_FUZZ_RUNS') ?? ciRuns,
    // Shrinking re-runs requests many times; the first counterexample is reported as found.
    endOnFailure: true,
  };
}

/** RFC 6749 §5.2 (and RFC 6750 §3.1) error codes the OAuth endpoints may answer with. */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_token',
  'insufficient_scope',
  'temporarily_unavailable',
] as const;
