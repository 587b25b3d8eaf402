/**
 * Real certificates made at test time by the `openssl` binary, including Oracle's documented
 * commands verbatim (plus `-subj /CN=test` so they run unattended).
 *
 *   const m = await makeCert('ec-p256');  // { dir, certPath, keyPath, certPem, keyPem, ... }
 *
 * Material is cached per process (one promise per kind). Kinds whose RSA key generation is slow
 * (3072 and 4096 bits: seconds; 8192 bits: 10 to 60 s) are made once per run by whichever test
 * process needs them first and kept in os.tmpdir() (see key-cache.ts), so other processes and
 * later runs reuse them. Treat every returned file as read-only: copy it if a test needs to
 * change it.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedDir } from './key-cache.ts';

export type CertKind =
  /** Oracle: `openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -pkeyopt ec_param_enc:named_curve …` */
  | 'ec-p256'
  | 'ec-p384'
  | 'ec-p521'
  /** Oracle's RSA-PSS command: an ordinary rsaEncryption key, self-signed with RSA-PSS. */
  | 'rsa-4096-pss-sig'
  /** Oracle's SuiteScript command: a true id-RSASSA-PSS key (jose cannot use it). */
  | 'rsa-pss-4096'
  /** Same shape as rsa-pss-4096, quicker to make. */
  | 'rsa-pss-3072'
  /** Plain `openssl req -x509 -newkey rsa:N` (PKCS#1 v1.5 self-signature, Oracle's blog). */
  | 'rsa-3072'
  | 'rsa-4096'
  | 'rsa-2048'
  | 'rsa-8192'
  | 'secp256k1'
  | 'ed25519'
  | 'ed448'
  | 'dsa'
  /** EC P-256 written with explicit curve parameters (`-pkeyopt ec_param_enc:explicit`). */
  | 'ec-explicit'
  /** EC P-256 valid for one day: inspect it with `now` after `notAfter` (see `validity`). */
  | 'expired'
  /** EC P-256 valid for five years (`-days 1825`). */
  | 'five-year'
  /** The ec-p256 command, then `openssl x509 -outform DER -out public.cer`: certPath is DER. */
  | 'der'
  /** A CSR (`openssl req -new`, no -x509): certPath is request.csr. */
  | 'csr'
  /** Two certificates concatenated in one PEM file (chain.pem). */
  | 'two-certs';

export interface CertMaterial {
  kind: CertKind;
  dir: string;
  /** The file to upload (public.pem, public.cer, request.csr or chain.pem). */
  certPath: string;
  /** Exact bytes of certPath. */
  certBytes: Buffer;
  /** PEM text of certPath; for `der`, the PEM the DER was made from. */
  certPem: string;
  keyPath: string;
  /** PKCS#8 PEM private key (secret in real life). */
  keyPem: string;
}

export function runOpenssl(
  args: readonly string[],
  opts: { cwd?: string; input?: Buffer } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'openssl',
      [...args],
      { cwd: opts.cwd, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`openssl ${args.join(' ')} failed: ${stderr.toString('utf8').trim()}`));
        } else {
          resolve(stdout);
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

const SUBJ = ['-subj', '/CN=test'];
const ec = (curve: string, enc = 'named_curve') => [
  '-newkey',
  'ec',
  '-pkeyopt',
  `ec_paramgen_curve:${curve}`,
  '-pkeyopt',
  `ec_param_enc:${enc}`,
];
const OUT = ['-out', 'public.pem', '-keyout', 'private.pem'];

/** Oracle's documented EC command, verbatim (subject added). */
const oracleEc = (curve: string, days = '365') => [
  'req',
  '-new',
  '-x509',
  ...ec(curve),
  '-nodes',
  '-days',
  days,
  ...OUT,
  ...SUBJ,
];
const plainRsa = (bits: number) => [
  'req',
  '-new',
  '-x509',
  '-newkey',
  `rsa:${bits}`,
  '-nodes',
  '-days',
  '365',
  ...OUT,
  ...SUBJ,
];
const rsaPss = (bits: number) => [
  'req',
  '-new',
  '-x509',
  '-nodes',
  '-days',
  '365',
  '-newkey',
  'rsa-pss',
  '-pkeyopt',
  `rsa_keygen_bits:${bits}`,
  ...OUT,
  ...SUBJ,
];

/** openssl invocations (run in order, in an empty directory) per kind. */
const RECIPES: Record<CertKind, { steps: string[][]; cert: string; diskCache?: boolean }> = {
  'ec-p256': { steps: [oracleEc('prime256v1')], cert: 'public.pem' },
  'ec-p384': { steps: [oracleEc('secp384r1')], cert: 'public.pem' },
  'ec-p521': { steps: [oracleEc('secp521r1')], cert: 'public.pem' },
  'rsa-4096-pss-sig': {
    // Oracle, verbatim: openssl req -new -x509 -newkey rsa:4096 -keyout private.pem
    //   -sigopt rsa_padding_mode:pss -sha256 -sigopt rsa_pss_saltlen:64 -out public.pem -nodes -days 365
    steps: [
      [
        'req',
        '-new',
        '-x509',
        '-newkey',
        'rsa:4096',
        '-keyout',
        'private.pem',
        '-sigopt',
        'rsa_padding_mode:pss',
        '-sha256',
        '-sigopt',
        'rsa_pss_saltlen:64',
        '-out',
        'public.pem',
        '-nodes',
        '-days',
        '365',
        ...SUBJ,
      ],
    ],
    cert: 'public.pem',
    diskCache: true,
  },
  // Oracle (SuiteScript), verbatim: openssl req -new -x509 -nodes -days 365 -newkey rsa-pss
  //   -pkeyopt rsa_keygen_bits:4096 -out public.pem -keyout private.pem
  'rsa-pss-4096': { steps: [rsaPss(4096)], cert: 'public.pem', diskCache: true },
  'rsa-pss-3072': { steps: [rsaPss(3072)], cert: 'public.pem', diskCache: true },
  'rsa-3072': { steps: [plainRsa(3072)], cert: 'public.pem', diskCache: true },
  'rsa-4096': { steps: [plainRsa(4096)], cert: 'public.pem', diskCache: true },
  'rsa-2048': { steps: [plainRsa(2048)], cert: 'public.pem' },
  'rsa-8192': { steps: [plainRsa(8192)], cert: 'public.pem', diskCache: true },
  secp256k1: {
    steps: [
      ['req', '-new', '-x509', ...ec('secp256k1'), '-nodes', '-days', '365', ...OUT, ...SUBJ],
    ],
    cert: 'public.pem',
  },
  ed25519: {
    steps: [
      ['req', '-new', '-x509', '-newkey', 'ed25519', '-nodes', '-days', '365', ...OUT, ...SUBJ],
    ],
    cert: 'public.pem',
  },
  ed448: {
    steps: [
      ['req', '-new', '-x509', '-newkey', 'ed448', '-nodes', '-days', '365', ...OUT, ...SUBJ],
    ],
    cert: 'public.pem',
  },
  dsa: {
    steps: [
      [
        'genpkey',
        '-genparam',
        '-algorithm',
        'DSA',
        '-pkeyopt',
        'dsa_paramgen_bits:2048',
        '-out',
        'dsa-params.pem',
      ],
      [
        'req',
        '-new',
        '-x509',
        '-newkey',
        'dsa:dsa-params.pem',
        '-nodes',
        '-days',
        '365',
        ...OUT,
        ...SUBJ,
      ],
    ],
    cert: 'public.pem',
  },
  'ec-explicit': {
    steps: [
      [
        'req',
        '-new',
        '-x509',
        ...ec('prime256v1', 'explicit'),
        '-nodes',
        '-days',
        '365',
        ...OUT,
        ...SUBJ,
      ],
    ],
    cert: 'public.pem',
  },
  expired: { steps: [oracleEc('prime256v1', '1')], cert: 'public.pem' },
  'five-year': { steps: [oracleEc('prime256v1', '1825')], cert: 'public.pem' },
  der: {
    steps: [
      oracleEc('prime256v1'),
      ['x509', '-in', 'public.pem', '-outform', 'DER', '-out', 'public.cer'],
    ],
    cert: 'public.cer',
  },
  csr: {
    steps: [
      [
        'req',
        '-new',
        ...ec('prime256v1'),
        '-nodes',
        '-keyout',
        'private.pem',
        '-out',
        'request.csr',
        ...SUBJ,
      ],
    ],
    cert: 'request.csr',
  },
  'two-certs': {
    steps: [
      oracleEc('prime256v1'),
      [
        'req',
        '-new',
        '-x509',
        ...ec('prime256v1'),
        '-nodes',
        '-days',
        '365',
        '-out',
        'second.pem',
        '-keyout',
        'second.key',
        ...SUBJ,
      ],
    ],
    cert: 'chain.pem',
  },
};

const memo = new Map<CertKind, Promise<CertMaterial>>();
const DAY_MS = 86_400_000;

/** Makes (or reuses) the certificate material of one kind. */
export function makeCert(kind: CertKind): Promise<CertMaterial> {
  let p = memo.get(kind);
  if (p === undefined) {
    p = RECIPES[kind].diskCache ? fromDiskCache(kind) : build(kind, null);
    memo.set(kind, p);
  }
  return p;
}

/** A fresh directory under os.tmpdir() for a test's own files. */
export const tempDir = (prefix = 'certmint-test-'): Promise<string> =>
  mkdtemp(join(tmpdir(), prefix));

async function build(kind: CertKind, into: string | null): Promise<CertMaterial> {
  const dir = into ?? (await tempDir(`certmint-${kind}-`));
  const recipe = RECIPES[kind];
  for (const step of recipe.steps) await runOpenssl(step, { cwd: dir });
  if (kind === 'two-certs') {
    const first = await readFile(join(dir, 'public.pem'), 'utf8');
    const second = await readFile(join(dir, 'second.pem'), 'utf8');
    await writeFile(join(dir, 'chain.pem'), first + second);
  }
  return load(kind, dir);
}

async function load(kind: CertKind, dir: string): Promise<CertMaterial> {
  const certPath = join(dir, RECIPES[kind].cert);
  const certBytes = await readFile(certPath);
  const certPem =
    kind === 'der' ? await readFile(join(dir, 'public.pem'), 'utf8') : certBytes.toString('utf8');
  const keyPath = join(dir, 'private.pem');
  const keyPem = await readFile(keyPath, 'utf8');
  return { kind, dir, certPath, certBytes, certPem, keyPath, keyPem };
}

/**
 * Slow kinds (RSA) are made once per run, and kept for later runs, by the shared key cache
 * (keyed by the recipe and the OpenSSL version). A certificate close to its end is made again.
 */
async function fromDiskCache(kind: CertKind): Promise<CertMaterial> {
  const dir = await cachedDir(
    kind,
    RECIPES[kind],
    async (into) => {
      await build(kind, into);
    },
    async (dir) => {
      try {
        const m = await load(kind, dir);
        return Date.parse(new X509Certificate(m.certPem).validTo) > Date.now() + 30 * DAY_MS;
      } catch {
        return false; // a damaged entry: make it again
      }
    },
  );
  return load(kind, dir);
}

/** notBefore / notAfter (ms) as OpenSSL reads them. */
export async function validity(certPath: string): Promise<{ notBefore: number; notAfter: number }> {
  const out = (
    await runOpenssl(['x509', '-in', certPath, '-noout', '-startdate', '-enddate'])
  ).toString('utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}=(.+)$`, 'm').exec(out);
    if (m === null) throw new Error(`openssl printed no ${name}`);
    return Date.parse(m[1] as string);
  };
  return { notBefore: field('notBefore'), notAfter: field('notAfter') };
}

/** DER of a PEM certificate file, by `openssl x509 -outform DER`. */
export const derOf = (certPath: string): Promise<Buffer> =>
  runOpenssl(['x509', '-in', certPath, '-outform', 'DER']);

/**
 * The certificate id computed by OpenSSL alone: `openssl x509 -outform DER | openssl dgst
 * -sha256 -binary`, then base64url without padding.
 */
export async function opensslCertificateId(certPath: string): Promise<string> {
  const der = await derOf(certPath);
  const digest = await runOpenssl(['dgst', '-sha256', '-binary'], { input: der });
  return digest.toString('base64url');
}
