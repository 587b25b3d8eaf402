/**
 * `certmint cert generate|check|rotate|expiring`: make a client certificate without OpenSSL,
 * check a certificate against exactly the policy the server applies on upload
 * (src/crypto/certificate.ts via src/service/certificates/tools.ts), rotate a mapped certificate
 * through the rotation API (cert-rotate.ts), list those expiring soon (cert-expiring.ts). Only
 * `expiring` reads the store (`--db`).
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { type Clock, systemClock } from '../../domain/clock.ts';
import type { CertificateFacts } from '../../domain/mapping.ts';
import {
  ASSERTION_ALGS,
  type AssertionAlg,
  assertionAlgsFor,
  DEFAULT_DAYS,
  DEFAULT_SUBJECT,
  describeFacts,
  generateCertificate,
  inspectCertificate,
  isAssertionAlg,
  MAX_CERTIFICATE_BYTES,
} from '../../service/certificates/tools.ts';
import { CliError } from '../errors.ts';
import { warnIfNotIgnored } from '../git-ignore.ts';
import { resolvePath } from '../io.ts';
import { globalOptions, isoTime, readFileCapped, write } from '../output.ts';
import { addExpiringCommand } from './cert-expiring.ts';
import { addRotateCommand } from './cert-rotate.ts';

export interface CertCommandDeps {
  /** Where output goes (default: stdout, one trailing newline added). */
  write?: (text: string) => void;
  /** Time for validity checks and new certificates (default: the system clock). */
  clock?: Clock;
}

/** The longest validity worth generating: the server caps certificates at two years. */
const MAX_GENERATE_DAYS = 730;

const MAP_IT = (file: string) =>
  `certmint mapping create --account <account> --integration <clientId> --entity <entityId> --role <roleId> --certificate ${file}`;

function positiveInt(flag: string, value: string): number {
  if (!/^[0-9]+$/.test(value))
    throw new CliError(`${flag} takes a whole number, not "${value.slice(0, 20)}"`);
  return Number(value);
}

/** JSON shape of a certificate's facts: everything but the (long, public) PEM. */
const factsJson = ({ pem: _pem, ...facts }: CertificateFacts) => ({
  ...facts,
  assertionAlgs: assertionAlgsFor(facts),
});

const exists = (path: string) =>
  new CliError(`${path} already exists: choose another file, or add --force to replace it`);

async function writeNew(path: string, data: string, mode: number, force: boolean): Promise<void> {
  const absolute = resolvePath(path);
  // With --force the old file goes first, so the new one is created with `mode` from its first
  // byte (a private key never lands in a file with looser permissions).
  if (force) await rm(absolute, { force: true });
  try {
    await writeFile(absolute, data, { mode, flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw exists(path);
    throw new CliError(
      `cannot write ${path}: ${code === 'ENOENT' ? 'no such directory' : (code ?? 'failed')}`,
    );
  }
}

export function certCommand(deps: CertCommandDeps = {}): Command {
  const out = deps.write ?? write;
  const clock = deps.clock ?? systemClock;
  const cert = new Command('cert').description(
    'make a client certificate (no OpenSSL needed), check one against the upload rules, rotate one, list those expiring',
  );

  cert
    .command('generate')
    .description('make a key pair and a self-signed certificate for client assertions')
    .addOption(
      new Option('--alg <alg>', 'ES256|ES384|ES512 (EC key) or PS256|PS384|PS512 (RSA key)')
        .argParser((v: string) => v.toUpperCase())
        .makeOptionMandatory(),
    )
    .option('--bits <bits>', 'RSA key size: 3072 (default) or 4096')
    .option(
      '--days <days>',
      `validity in days, at most ${MAX_GENERATE_DAYS} (default ${DEFAULT_DAYS})`,
    )
    .option('--subject <dn>', `subject name (default "${DEFAULT_SUBJECT}")`)
    .requiredOption('--out <file>', 'certificate file to write (PEM): upload this one')
    .requiredOption('--key-out <file>', 'private key file to write (PKCS#8, mode 0600)')
    .option('--force', 'replace existing files')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  certmint cert generate --alg ES256 --out public.pem --key-out private.pem',
        '  certmint cert generate --alg PS256 --bits 4096 --days 365 --subject "CN=billing sync" --out public.pem --key-out private.pem',
        '',
        'ES256/ES384/ES512 make an EC key on P-256/P-384/P-521; PS256/PS384/PS512 an RSA key.',
        'Then map the certificate (not the key) with:',
        `  ${MAP_IT('public.pem')}`,
      ].join('\n'),
    )
    .action(
      async (
        o: {
          alg: string;
          bits?: string;
          days?: string;
          subject?: string;
          out: string;
          keyOut: string;
          force?: boolean;
        },
        cmd: Command,
      ) => {
        const g = globalOptions(cmd);
        if (!isAssertionAlg(o.alg)) {
          throw new CliError(
            `--alg ${o.alg.slice(0, 20)} is not supported: use one of ${ASSERTION_ALGS.join(', ')}`,
          );
        }
        const alg: AssertionAlg = o.alg;
        const bits = o.bits === undefined ? undefined : positiveInt('--bits', o.bits);
        if (bits !== undefined && bits !== 3072 && bits !== 4096) {
          throw new CliError(`--bits ${bits} would be refused by the server: use 3072 or 4096`);
        }
        const days = o.days === undefined ? undefined : positiveInt('--days', o.days);
        if (days !== undefined && (days < 1 || days > MAX_GENERATE_DAYS)) {
          throw new CliError(
            `--days ${days}: use 1 to ${MAX_GENERATE_DAYS} (the server caps a certificate's validity at two years)`,
          );
        }
        if (o.out === o.keyOut) throw new CliError('--out and --key-out must be different files');
        const force = o.force === true;

        // Fail before the (possibly slow) key generation; 'wx' below still guards the race.
        for (const path of [o.keyOut, o.out]) {
          if (!force && existsSync(resolvePath(path))) throw exists(path);
        }

        const made = await generateCertificate({
          alg,
          now: clock.now(),
          ...(bits === undefined ? {} : { bits }),
          ...(days === undefined ? {} : { days }),
          ...(o.subject === undefined ? {} : { subject: o.subject }),
        });
        // The same policy as an upload: what we write is what the server accepts.
        const facts = inspectCertificate(made.certificatePem, { now: clock.now() });
        await writeNew(o.keyOut, made.privateKeyPem, 0o600, force);
        try {
          await writeNew(o.out, made.certificatePem, 0o644, force);
        } catch (e) {
          // A key without its certificate is useless: do not leave it behind.
          await rm(resolvePath(o.keyOut), { force: true });
          throw e;
        }
        await warnIfNotIgnored(resolvePath(o.keyOut), o.keyOut);

        if (g.json) {
          out(
            JSON.stringify(
              { ...factsJson(facts), alg, certificateFile: o.out, privateKeyFile: o.keyOut },
              null,
              2,
            ),
          );
          return;
        }
        const key = facts.algorithm === 'EC' ? `EC ${facts.curve}` : `RSA ${facts.keySize} bits`;
        out(
          [
            `wrote ${o.out}: certificate (${alg}, ${key}, ${facts.subject}, valid until ${isoTime(facts.validUntil)})`,
            `wrote ${o.keyOut}: private key (mode 0600): keep it secret, never upload it`,
            `certificate id: ${facts.certificateId}`,
            `  once mapped, sign assertions with alg ${alg} and this id as the JWT header "kid"`,
            'next: map the certificate to an integration, entity and role:',
            `  ${MAP_IT(o.out)}`,
          ].join('\n'),
        );
      },
    );

  cert
    .command('check')
    .argument('<file>', 'certificate file (.pem, .crt or .cer; PEM or DER)')
    .description(
      'show what the server would import from a certificate; exit 1 if it would refuse it',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  certmint cert check public.pem',
        '  certmint cert check public.cer --json',
        '',
        'Accepted: one X.509 certificate with an RSA 3072/4096-bit key or an EC P-256/P-384/P-521 key',
        '(named curve), not expired. Validity longer than two years is shortened to two years.',
      ].join('\n'),
    )
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const bytes = await readFileCapped(file, MAX_CERTIFICATE_BYTES);
      // A refusal propagates as the policy's DomainError: main prints its reason, exits 1.
      const facts = inspectCertificate(bytes, { fileName: basename(file), now: clock.now() });
      if (g.json) {
        out(JSON.stringify({ accepted: true, ...factsJson(facts) }, null, 2));
        return;
      }
      const rows = describeFacts(facts);
      const width = Math.max(...rows.map(([label]) => label.length));
      const lines = [
        `${file}: accepted`,
        ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
      ];
      if (facts.shortened) {
        lines.push(
          `note: the certificate claims a longer validity; the server will treat it as valid until ${isoTime(facts.validUntil)} (two years from its start)`,
        );
      }
      if (facts.validFrom > clock.now()) {
        lines.push(
          `note: not valid yet: the token endpoint refuses it until ${isoTime(facts.validFrom)}`,
        );
      }
      lines.push('map it with:', `  ${MAP_IT(file)}`);
      out(lines.join('\n'));
    });

  addRotateCommand(cert, out);
  addExpiringCommand(cert);
  return cert;
}
