/**
 * `certmint quickstart`: the whole client-credentials setup against a running server, one
 * explained step at a time, each with the equivalent command or curl.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { createTokenClient } from '../../client/index.ts';
import { DomainError } from '../../domain/errors.ts';
import type { AssertionAlg } from '../../service/certificates/tools.ts';
import { generateCertificate, isAssertionAlg } from '../../service/certificates/tools.ts';
import { SYSTEM } from '../../service/index.ts';
import type { Services } from '../../service/services.ts';
import { CliError } from '../errors.ts';
import { warnIfNotIgnored } from '../git-ignore.ts';
import { resolvePath } from '../io.ts';
import { withServices, write } from '../output.ts';
import { defaultServerUrl } from '../settings.ts';

interface QuickstartOptions {
  url?: string;
  account: string;
  alg: string;
  dir: string;
}

export function quickstartCommand(): Command {
  return new Command('quickstart')
    .description(
      'set up an integration, entity, role, certificate and mapping; get a token; call whoami',
    )
    .option(
      '--url <url>',
      'base URL of the running server (default: $CERTMINT_PUBLIC_URL, else http://127.0.0.1:$PORT, else port 8080)',
    )
    .option('--account <id>', 'account to set up', 'TSTDRV0000001')
    .option('--alg <alg>', 'assertion algorithm: ES256 ES384 ES512 PS256 PS384 PS512', 'ES256')
    .option(
      '--dir <dir>',
      'where to write the certificate and private key',
      './.certmint/quickstart',
    )
    .addHelpText(
      'after',
      '\nStart the server first (npm start, or certmint serve) with the same --db, then:\n  certmint quickstart',
    )
    .action(async (o: QuickstartOptions, cmd: Command) => {
      if (!isAssertionAlg(o.alg))
        throw new CliError(`--alg must be one of ES256 ES384 ES512 PS256 PS384 PS512`);
      const alg: AssertionAlg = o.alg;
      const base = (o.url ?? defaultServerUrl()).replace(/\/+$/, '');
      await withServices(cmd, async (svc, g) => {
        const step = (n: number, title: string, lines: string[]) =>
          g.json || write([`\n${n}. ${title}`, ...lines.map((l) => `   ${l}`)].join('\n'));
        // Before anything is written: a server that is down, or runs on another store, would
        // leave a half-made setup behind and fail only at the token request.
        await checkServer(base, null);
        const accountId = await ensureAccount(svc, o.account);
        await checkServer(base, accountId);
        const stamp = new Date(svc.clock.now())
          .toISOString()
          .replace(/[-:.TZ]/g, '')
          .slice(0, 14);
        const role = await svc.records.createRole(SYSTEM, {
          accountId,
          name: `Quickstart M2M ${stamp}`,
          permissions: ['oauth2_access_token_login'],
        });
        step(1, `Role ${role.id} "${role.name}" with "Log in using OAuth 2.0 Access Tokens"`, [
          `certmint role create --account ${accountId} --name "${role.name}" --permission oauth2_access_token_login`,
        ]);
        const entity = await svc.records.createEntity(SYSTEM, {
          accountId,
          name: `quickstart-${stamp}`,
        });
        await svc.records.assignRole(SYSTEM, { accountId, entityId: entity.id, roleId: role.id });
        step(2, `Entity ${entity.id} "${entity.name}" holding that role`, [
          `certmint entity create --account ${accountId} --name ${entity.name}`,
          `certmint role assign --account ${accountId} --role ${role.id} --entity ${entity.id}`,
        ]);
        const { integration } = await svc.records.createIntegration(SYSTEM, {
          accountId,
          name: `Quickstart ${stamp}`,
          m2mGrant: true,
          scopes: ['restlets', 'rest_webservices'],
        });
        step(3, 'Integration record with the Client Credentials (M2M) grant', [
          `client id: ${integration.clientId}`,
          `certmint integration create --account ${accountId} --name "${integration.name}" --m2m --scope restlets,rest_webservices`,
        ]);
        const dir = resolvePath(o.dir);
        mkdirSync(dir, { recursive: true });
        const cert = await generateCertificate({ alg, now: svc.clock.now() });
        const certPath = join(dir, `public-${stamp}.pem`);
        const keyPath = join(dir, `private-${stamp}.pem`);
        writeFileSync(certPath, cert.certificatePem);
        writeFileSync(keyPath, cert.privateKeyPem, { mode: 0o600 });
        await warnIfNotIgnored(keyPath, keyPath);
        step(4, `${alg} certificate and private key (no OpenSSL needed)`, [
          `certificate: ${certPath}`,
          `private key: ${keyPath} (mode 0600; never leaves your machine)`,
          `certmint cert generate --alg ${alg} --out public.pem --key-out private.pem`,
        ]);
        const mapping = await svc.records.createMapping(SYSTEM, {
          accountId,
          clientId: integration.clientId,
          entityId: entity.id,
          roleId: role.id,
          certificate: cert.certificatePem,
        });
        step(5, 'Mapping: certificate → (integration, role, entity)', [
          `certificate id (the JWT kid): ${mapping.certificateId}`,
          `certmint mapping create --account ${accountId} --integration ${integration.clientId} --entity ${entity.id} --role ${role.id} --certificate ${certPath}`,
        ]);
        const tokenUrl = `${base}/accounts/${accountId}/services/rest/auth/oauth2/v1/token`;
        const client = createTokenClient({
          tokenUrl,
          clientId: integration.clientId,
          certificateId: mapping.certificateId,
          privateKey: cert.privateKeyPem,
          scopes: ['restlets', 'rest_webservices'],
        });
        let token: string;
        try {
          token = await client.getToken();
        } catch (e) {
          throw new CliError(
            `the server at ${base} refused the token request (${(e as Error).message}); is it running with the same --db? see certmint audit list --account ${accountId}`,
          );
        }
        step(6, 'Access token (a signed client assertion posted to the token endpoint)', [
          `${token.slice(0, 40)}…`,
          `certmint token --token-url ${tokenUrl} --client-id ${integration.clientId} --certificate-id=${mapping.certificateId} --key ${keyPath}`,
          `curl -X POST ${tokenUrl} -d grant_type=client_credentials -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer -d client_assertion=$ASSERTION`,
        ]);
        const whoamiUrl = `${base}/accounts/${accountId}/services/rest/whoami`;
        const res = await fetch(whoamiUrl, { headers: { authorization: `Bearer ${token}` } });
        const body: unknown = await res.json();
        step(7, `whoami (${res.status})`, [
          JSON.stringify(body),
          `curl -H "Authorization: Bearer $TOKEN" ${whoamiUrl}`,
        ]);
        if (g.json) {
          write(
            JSON.stringify({
              accountId,
              clientId: integration.clientId,
              certificateId: mapping.certificateId,
              entityId: entity.id,
              roleId: role.id,
              certificate: certPath,
              privateKey: keyPath,
              whoami: body,
            }),
          );
        }
        if (!res.ok) throw new CliError(`whoami answered ${res.status}`);
      });
    });
}

/** The server at `base` answers, and knows the account when one is named (same store). */
async function checkServer(base: string, accountId: string | null): Promise<void> {
  const url =
    accountId === null
      ? `${base}/healthz`
      : `${base}/accounts/${accountId}/.well-known/oauth-authorization-server`;
  let status: number;
  try {
    status = (await fetch(url, { signal: AbortSignal.timeout(5000) })).status;
  } catch (e) {
    const why = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new CliError(
      `no certmint server answers at ${base} (${why}): start one with "certmint serve" (or npm start) on the same store, or point at it with --url`,
    );
  }
  if (status === 404) {
    throw new CliError(
      `the server at ${base} does not know account ${accountId}: it runs on another store; start it with the same --db / CERTMINT_DB as this command`,
    );
  }
  if (status !== 200) throw new CliError(`the server at ${base} answered ${status} to ${url}`);
}

async function ensureAccount(svc: Services, id: string): Promise<string> {
  try {
    return (await svc.records.getAccount(SYSTEM, id)).id;
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'not_found') {
      return (await svc.records.createAccount(SYSTEM, { id })).id;
    }
    throw e;
  }
}
