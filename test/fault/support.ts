/**
 * The fault suite's tools: an account set up for the client-credentials flow on a store (as an
 * administrator would, through the use cases), a real `certmint serve` process on it, and a
 * load of token requests over HTTP that records what became of every assertion.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { generateCertificate } from '../../src/crypto/generate.ts';
import { systemClock } from '../../src/domain/clock.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { BIN } from '../cli/support.ts';
import { assertionForm } from '../support/token-fixture.ts';

export const ACCOUNT = 'TSTDRV7700001';

export interface Client {
  clientId: string;
  kid: string;
  key: Awaited<ReturnType<typeof importPKCS8>>;
  /** The mapped certificate and its key, PEM (to present on a TLS connection, RFC 8705). */
  certificatePem: string;
  privateKeyPem: string;
}

/** Role with token login, entity, M2M integration and a mapped ES256 certificate. */
export async function setUpClient(store: Store): Promise<Client> {
  const deps = { store, clock: systemClock };
  await createAccount(deps, SYSTEM, { id: ACCOUNT });
  const role = await createRole(deps, SYSTEM, {
    accountId: ACCOUNT,
    name: 'M2M',
    permissions: ['oauth2_access_token_login'],
  });
  const entity = await createEntity(deps, SYSTEM, { accountId: ACCOUNT, name: 'svc' });
  await assignRole(deps, SYSTEM, { accountId: ACCOUNT, entityId: entity.id, roleId: role.id });
  const { integration } = await createIntegration(deps, SYSTEM, {
    accountId: ACCOUNT,
    name: 'App',
    m2mGrant: true,
    scopes: ['restlets'],
  });
  const cert = await generateCertificate({ alg: 'ES256', now: Date.now() - 60_000, days: 30 });
  const mapping = await createMapping(deps, SYSTEM, {
    accountId: ACCOUNT,
    clientId: integration.clientId,
    entityId: entity.id,
    roleId: role.id,
    certificate: cert.certificatePem,
  });
  return {
    clientId: integration.clientId,
    kid: mapping.certificateId,
    key: await importPKCS8(cert.privateKeyPem, 'ES256'),
    certificatePem: cert.certificatePem,
    privateKeyPem: cert.privateKeyPem,
  };
}

export interface Server {
  child: ChildProcess;
  base: string;
  output(): string;
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `certmint serve` on `db` and `port` (the public URL is the local one); resolves once listening. */
export function serve(
  db: string,
  port: number,
  opts: { env?: Record<string, string>; args?: string[] } = {},
): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      '--db',
      db,
      'serve',
      '--port',
      String(port),
      '--log-level',
      'error',
      ...(opts.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CERTMINT_DB: '', CERTMINT_SECRET: '', PORT: '', ...opts.env },
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const server: Server = {
    child,
    base: `http://127.0.0.1:${port}`,
    output: () => out,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (out.includes('issuer of an account')) {
        child.stdout?.off('data', onData);
        resolve(server);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => reject(new Error(`certmint serve exited (${code}):\n${out}`)));
  });
}

export const tokenPath = `/accounts/${ACCOUNT}/services/rest/auth/oauth2/v1/token`;

/** A fresh assertion for `server`'s token endpoint. */
export function assertion(c: Client, base: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: ['restlets'] })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: c.kid })
    .setIssuer(c.clientId)
    .setAudience(`${base}${tokenPath}`)
    .setIssuedAt(now - 5)
    .setExpirationTime(now + 300)
    .setJti(randomUUID())
    .sign(c.key);
}

export interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/** POSTs the assertion; null when no answer came (connection refused or cut). */
export async function requestToken(base: string, jwt: string): Promise<Answer | null> {
  try {
    const res = await fetch(`${base}${tokenPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: assertionForm(jwt).toString(),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, body: await res.text(), headers: res.headers };
  } catch {
    return null;
  }
}

export interface LoadResult {
  /** Assertions answered 200. */
  accepted: string[];
  /** Sent, never answered (the server died with them in flight). */
  unanswered: string[];
  /** Every answer's status (null: none). */
  statuses: Array<number | null>;
  answers: Answer[];
}

/**
 * `concurrency` workers send fresh assertions one after another until `stop()` says so (it is
 * asked after every answer); resolves when every worker has finished its last request.
 */
export async function load(
  c: Client,
  base: string,
  concurrency: number,
  stop: (r: LoadResult) => boolean,
): Promise<LoadResult> {
  const r: LoadResult = { accepted: [], unanswered: [], statuses: [], answers: [] };
  const worker = async () => {
    while (!stop(r)) {
      const jwt = await assertion(c, base);
      const a = await requestToken(base, jwt);
      r.statuses.push(a?.status ?? null);
      if (a) r.answers.push(a);
      if (a?.status === 200) r.accepted.push(jwt);
      if (a === null) r.unanswered.push(jwt);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return r;
}
