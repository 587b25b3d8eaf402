/**
 * What certificate-bound tokens (RFC 8705) add per request: `node --import tsx bench/mtls.ts`.
 * Each step in isolation, median of 7 rounds of 100 000 calls (µs per call): the token
 * endpoint's binding decision for each mode, the proxy header parse, the resource check, and
 * reading a certificate from a live TLS socket (the server's way and the SDK's documented way).
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { generateCertificate } from '../src/crypto/generate.ts';
import type { Mapping } from '../src/domain/mapping.ts';
import {
  certificateBinding,
  certificateFromHeader,
  presentedCertificateFits,
} from '../src/service/token/mtls.ts';

const ROUNDS = 7;
const CALLS = 100_000;

function measure(name: string, f: () => unknown): void {
  for (let i = 0; i < 10_000; i++) f();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    for (let i = 0; i < CALLS; i++) f();
    rounds.push(((performance.now() - t) * 1000) / CALLS);
  }
  rounds.sort((a, b) => a - b);
  console.log(`${name.padEnd(64)} ${(rounds[ROUNDS >> 1] as number).toFixed(3)} µs`);
}

const now = Date.now();
const mapped = await generateCertificate({ alg: 'ES256', now: now - 60_000 });
const server = await generateCertificate({ alg: 'ES256', now: now - 60_000 });
const der = new X509Certificate(mapped.certificatePem).raw;
const mapping = { pem: mapped.certificatePem } as Mapping;
const header = encodeURIComponent(mapped.certificatePem);
const x5t = { 'x5t#S256': 'not-this-one' };

measure('token: binding off (the default)', () =>
  certificateBinding({ mtlsBinding: 'off' }, mapping, { tlsClientCertificate: () => der }),
);
measure('token: binding allowed, no certificate', () =>
  certificateBinding({ mtlsBinding: 'allowed' }, mapping, {}),
);
measure('token: binding allowed, mapped certificate (DER compare, SHA-256)', () =>
  certificateBinding({ mtlsBinding: 'allowed' }, mapping, { tlsClientCertificate: () => der }),
);
measure('proxy header: URL-encoded PEM to DER', () => certificateFromHeader(header));
measure('resource: bearer token (no cnf)', () =>
  presentedCertificateFits(undefined, () => undefined),
);
measure('resource: bound token (SHA-256 of the DER)', () =>
  presentedCertificateFits(x5t, () => der),
);

// A live TLS connection presenting the mapped certificate.
const srv = createServer({
  cert: server.certificatePem,
  key: server.privateKeyPem,
  requestCert: true,
  rejectUnauthorized: false,
});
srv.listen(0, '127.0.0.1');
await once(srv, 'listening');
const accepted = once(srv, 'secureConnection') as Promise<[TLSSocket]>;
const client = connect({
  port: (srv.address() as AddressInfo).port,
  host: '127.0.0.1',
  cert: mapped.certificatePem,
  key: mapped.privateKeyPem,
  rejectUnauthorized: false,
});
const [socket] = await accepted;
measure(
  'socket: getPeerX509Certificate().raw (server, SDK middleware)',
  () => socket.getPeerX509Certificate()?.raw,
);
measure('socket: getPeerCertificate(true).raw', () => socket.getPeerCertificate(true).raw);
client.destroy();
srv.close();
