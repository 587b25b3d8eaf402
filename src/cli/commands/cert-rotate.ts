/**
 * `certmint cert rotate`: replaces a mapped certificate through the certificate rotation API (on
 * certmint or real NetSuite) with the SDK's rotateCertificate: new key and certificate, upload,
 * proof that the new one gets a token, files written, and only then the old one revoked.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Command, Option } from 'commander';
import {
  ASSERTION_ALGS,
  type AssertionAlg,
  CertmintClientError,
  type RotateCertificateOptions,
  RotationError,
  rotateCertificate,
} from '../../client/index.ts';
import { CliError } from '../errors.ts';
import { warnIfNotIgnored } from '../git-ignore.ts';
import { resolvePath } from '../io.ts';
import { isoTime, readFileCapped, write } from '../output.ts';

interface RotateFlags {
  tokenUrl?: string;
  account?: string;
  clientId: string;
  certificateId: string;
  key: string;
  role: string;
  entity: string;
  alg?: AssertionAlg;
  bits?: string;
  days?: string;
  outDir?: string;
  force?: boolean;
}

const MAX_KEY_BYTES = 64 * 1024;

/** Written beside, flushed, renamed over: a reader sees the old file or the new one, never half. */
async function replaceAtomically(path: string, data: string, mode: number): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v))
    throw new CliError(`${flag} takes a whole number, not "${v.slice(0, 20)}"`);
  return Number(v);
}

export function addRotateCommand(cert: Command, out: (text: string) => void = write): void {
  cert
    .command('rotate')
    .description(
      'replace a mapped certificate with a new one through the rotation API, with no downtime',
    )
    .option(
      '--token-url <url>',
      'token endpoint of certmint ({issuer}/services/rest/auth/oauth2/v1/token)',
    )
    .option('--account <id>', "NetSuite account id: real NetSuite's endpoints")
    .requiredOption('--client-id <id>', 'client id of the integration record')
    .requiredOption('--certificate-id <kid>', 'the certificate to replace')
    .requiredOption('--key <file>', 'its private key (PEM)')
    .requiredOption('--role <id>', 'role of the mapping')
    .requiredOption('--entity <id>', 'entity of the mapping')
    .addOption(
      new Option('--alg <alg>', "algorithm of the new key (default: the current key's)").choices([
        ...ASSERTION_ALGS,
      ]),
    )
    .option('--bits <bits>', 'RSA key size of the new key: 3072 or 4096 (default: the current one)')
    .option('--days <days>', 'validity of the new certificate in days, at most 730 (default 365)')
    .option(
      '--out-dir <dir>',
      'where private.pem and public.pem are written (default: the folder of --key)',
    )
    .option(
      '--force',
      "replace private.pem and public.pem in an --out-dir other than the key's folder",
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  certmint cert rotate --token-url http://127.0.0.1:8080/accounts/TSTDRV0000001/services/rest/auth/oauth2/v1/token \\',
        '    --client-id <clientId> --certificate-id=<certId> --key private.pem --role 1000 --entity 5',
        '  certmint cert rotate --account 123456_SB1 --client-id <clientId> --certificate-id=<certId> \\',
        '    --key secrets/private.pem --role 1000 --entity -5 --out-dir secrets/next --json',
        '',
        'Steps: get a token with the current certificate (scope rest_webservices), upload a new one for',
        'the same role and entity, get a token with it, write private.pem (mode 0600) and public.pem,',
        'then revoke the old certificate. Nothing is revoked unless every step before it succeeded.',
        'The role needs "Manage own OAuth 2.0 Client Credentials Certificates" or "OAuth 2.0 Authorized',
        'Applications Management"; the integration record needs the REST Web Services scope.',
      ].join('\n'),
    )
    .action(async (o: RotateFlags, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      if ((o.tokenUrl === undefined) === (o.account === undefined)) {
        throw new CliError('give exactly one of --token-url and --account');
      }
      const bits = int('--bits', o.bits);
      if (bits !== undefined && bits !== 3072 && bits !== 4096) {
        throw new CliError(`--bits ${bits} would be refused: use 3072 or 4096`);
      }
      const days = int('--days', o.days);
      const keyPath = resolvePath(o.key);
      const outDir = o.outDir === undefined ? dirname(keyPath) : resolvePath(o.outDir);
      const keyOut = join(outDir, 'private.pem');
      const certOut = join(outDir, 'public.pem');
      // Rotating in place (the key is private.pem of the output folder) replaces both files;
      // anywhere else, existing files are kept unless --force.
      const inPlace = keyOut === keyPath;
      if (!inPlace && o.force !== true) {
        for (const p of [keyOut, certOut]) {
          if (existsSync(p)) {
            throw new CliError(
              `${p} already exists: choose another --out-dir, or add --force to replace it`,
            );
          }
        }
      }
      if (!existsSync(outDir)) throw new CliError(`--out-dir ${outDir}: no such directory`);
      const privateKey = (await readFileCapped(o.key, MAX_KEY_BYTES)).toString('utf8');
      const where = o.tokenUrl !== undefined ? { tokenUrl: o.tokenUrl } : { accountId: o.account };
      let rotated: Awaited<ReturnType<typeof rotateCertificate>>;
      try {
        rotated = await rotateCertificate({
          ...where,
          clientId: o.clientId,
          certificateId: o.certificateId,
          privateKey,
          role: o.role,
          entity: o.entity,
          ...(o.alg === undefined ? {} : { alg: o.alg }),
          ...(bits === undefined ? {} : { bits: bits as 3072 | 4096 }),
          ...(days === undefined ? {} : { days }),
          onProven: async (r) => {
            await replaceAtomically(keyOut, r.privateKey, 0o600);
            await replaceAtomically(certOut, r.certificatePem, 0o644);
          },
        } as RotateCertificateOptions);
      } catch (e) {
        if (e instanceof RotationError && e.step === 'revoke' && e.rotated) {
          out(
            `new certificate id: ${e.rotated.certificateId} (written to ${keyOut} and ${certOut})`,
          );
        }
        if (e instanceof CertmintClientError) throw new CliError(e.message);
        throw e;
      }
      await warnIfNotIgnored(keyOut, keyOut);
      const result = {
        certificateId: rotated.certificateId,
        previousCertificateId: o.certificateId,
        validUntil: rotated.validUntil.toISOString(),
        privateKeyFile: keyOut,
        certificateFile: certOut,
      };
      if (json) {
        out(JSON.stringify(result, null, 2));
        return;
      }
      out(
        [
          `new certificate id: ${rotated.certificateId}`,
          `wrote ${keyOut}: private key (mode 0600)`,
          `wrote ${certOut}: certificate, valid until ${isoTime(rotated.validUntil.getTime())}`,
          `revoked ${o.certificateId}`,
          'next: give your application the new certificate id and key (the old ones no longer get tokens)',
        ].join('\n'),
      );
    });
}
