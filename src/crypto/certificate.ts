/**
 * A certificate upload, end to end: the file-name rule, then the one parse (crypto), then the
 * certificate policy (domain). This is what the server applies on upload and what
 * `certmint cert check` runs, so both always agree.
 */
import {
  type CertificateWarning,
  evaluateCertificate,
  fileNameProblem,
} from '../domain/certificate-policy.ts';
import { isoSeconds } from '../domain/certificate-policy-refusals.ts';
import type { CertificateFacts } from '../domain/mapping.ts';
import { ALGORITHMS, ASSERTION_ALGS, type AssertionAlg } from './algorithms.ts';
import { parseCertificateUpload } from './certificate-upload.ts';

export {
  ACCEPTED_RSA_BITS,
  CERTIFICATE_FILE_EXTENSIONS,
  CERTIFICATE_POLICY_CODES,
  type CertificatePolicyCode,
  type CertificateWarning,
  capValidity,
  MAX_CERTIFICATE_BYTES,
  MAX_VALIDITY_YEARS,
} from '../domain/certificate-policy.ts';

export interface InspectOptions {
  /** The uploaded file's name, when there is one: it must end in .cer, .pem or .crt. */
  fileName?: string;
  /** Current time (ms) from the injected Clock. */
  now: number;
}

export interface CheckedCertificate {
  facts: CertificateFacts;
  /** What the user should know although the certificate is accepted (e.g. a shortened validity). */
  warnings: CertificateWarning[];
}

/**
 * Applies the certificate policy to an upload (PEM text or DER bytes): its facts and warnings.
 * Throws a `policy` DomainError (codes in CERTIFICATE_POLICY_CODES) on every refusal.
 */
export function checkCertificate(input: Buffer | string, opts: InspectOptions): CheckedCertificate {
  // The name first: even an empty upload is refused for a wrong name.
  if (opts.fileName !== undefined) {
    const badName = fileNameProblem(opts.fileName);
    if (badName !== null) throw badName;
  }
  const verdict = evaluateCertificate(parseCertificateUpload(input).reading, opts.now);
  if (!verdict.accepted) throw verdict.refusal;
  return { facts: verdict.facts, warnings: verdict.warnings };
}

/** `checkCertificate` without the warnings: the facts certmint stores for a mapping. */
export function inspectCertificate(input: Buffer | string, opts: InspectOptions): CertificateFacts {
  return checkCertificate(input, opts).facts;
}

/** The algorithms a client may sign assertions with for this certificate's key. */
export function assertionAlgsFor(
  facts: Pick<CertificateFacts, 'algorithm' | 'curve'>,
): AssertionAlg[] {
  return ASSERTION_ALGS.filter((alg) => {
    const spec = ALGORITHMS[alg];
    return facts.algorithm === 'EC'
      ? spec.family === 'ec' && spec.curve === facts.curve
      : spec.family === 'rsa';
  });
}

/** Human labels for display (CLI, console): `[label, value]` pairs in a fixed order. */
export function describeFacts(facts: CertificateFacts): Array<[string, string]> {
  const key =
    facts.algorithm === 'EC'
      ? `EC ${facts.curve}`
      : `RSA ${facts.keySize} bits${facts.keyType === 'rsa-pss' ? ' (RSASSA-PSS key)' : ''}`;
  return [
    ['Certificate id', facts.certificateId],
    ['Algorithm', facts.algorithm],
    ['Key', key],
    ['Sign assertions with', assertionAlgsFor(facts).join(', ')],
    ['Subject', facts.subject],
    ['Issuer', facts.issuer],
    ['Serial number', facts.serialNumber],
    ['Valid from', isoSeconds(facts.validFrom)],
    [
      'Valid until',
      facts.shortened
        ? `${isoSeconds(facts.validUntil)} (shortened to two years)`
        : isoSeconds(facts.validUntil),
    ],
  ];
}
