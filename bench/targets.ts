/**
 * The servers under comparison, each in its own process, and what a request to each looks like:
 * the floor and oidc-provider verify the same kind of key (the certificates mapped in certmint,
 * same algorithm), each target gets assertions addressed to its own token endpoint.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import type { AssertionKey } from './assertions.ts';
import { type Child, startChild } from './children.ts';
import type { BenchAlg } from './options.ts';
import { BENCH_SCOPE, type MintCredential, type PreparedStore } from './setup-certmint.ts';

export interface Target {
  name: string;
  child: Child;
  path: string;
  audience: string;
  keys: AssertionKey[];
}

const server = (file: string) => new URL(`./servers/${file}`, import.meta.url);
const PEER_CLIENT = 'bench-client';

/** The peer and the floor use the certmint credentials' keys under short kids. */
function peerKeys(creds: readonly MintCredential[]): AssertionKey[] {
  return creds.map((c, i) => ({
    kid: `k${i}`,
    privateKeyPem: c.privateKeyPem,
    clientId: PEER_CLIENT,
  }));
}

/**
 * The floor; with `records`, the floor plus the two durable records every token request of
 * certmint writes (records-store.ts): the least a server keeping them can cost.
 */
export async function startFloor(
  alg: BenchAlg,
  creds: readonly MintCredential[],
  records = false,
): Promise<Target> {
  const keys = peerKeys(creds);
  const pems = Object.fromEntries(creds.map((c, i) => [`k${i}`, c.certificatePem]));
  const name = records ? 'floor-records' : 'floor';
  const child = await startChild(name, server('floor.ts'), {
    env: { BENCH_ALG: alg, BENCH_KEYS: JSON.stringify(pems), BENCH_RECORDS: records ? '1' : '0' },
  });
  return {
    name,
    child,
    path: '/token',
    audience: `http://127.0.0.1:${child.port}/token`,
    keys,
  };
}

export async function startPeer(alg: BenchAlg, creds: readonly MintCredential[]): Promise<Target> {
  const keys = peerKeys(creds);
  const jwks = {
    keys: creds.map((c, i) => ({
      ...createPublicKey(c.certificatePem).export({ format: 'jwk' }),
      kid: `k${i}`,
      alg,
      use: 'sig',
    })),
  };
  const child = await startChild('oidc-provider', server('peer.ts'), {
    env: {
      BENCH_JWKS: JSON.stringify(jwks),
      BENCH_CLIENT_ID: PEER_CLIENT,
      BENCH_SCOPE,
    },
  });
  return {
    name: 'oidc-provider',
    child,
    path: '/token',
    audience: `http://127.0.0.1:${child.port}/token`,
    keys,
  };
}

/** A fresh CERTMINT_SECRET per bench run: the stores are temporary too. */
const SECRET = randomBytes(24).toString('base64url');

export async function startCertmint(
  name: string,
  store: PreparedStore,
  cpuProfDir?: string,
): Promise<Target> {
  const child = await startChild(name, server('certmint.ts'), {
    env: { BENCH_DB: store.dbPath, CERTMINT_SECRET: SECRET },
    ...(cpuProfDir ? { cpuProfDir } : {}),
  });
  const path = `/accounts/${store.accountId}/services/rest/auth/oauth2/v1/token`;
  return {
    name,
    child,
    path,
    audience: `http://127.0.0.1:${child.port}${path}`,
    keys: store.keys,
  };
}
