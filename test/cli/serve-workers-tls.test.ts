/**
 * `certmint serve --workers 2 --tls-cert … --tls-key … --client-certs request`: the primary reads
 * the certificate and key once and passes them to the workers (over IPC, never argv or the
 * environment); both workers answer over HTTPS, ask for the client certificate, and issue
 * certificate-bound tokens (RFC 8705 §3) that whichever worker answers next enforces. Both
 * workers' answers are proven from the debug log.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { systemClock } from '../../src/domain/clock.ts';
import { SYSTEM, updateIntegration } from '../../src/service/index.ts';
import { openStore } from '../../src/store/open.ts';
import { ACCOUNT, assertion, serve, setUpClient, tokenPath } from '../fault/support.ts';
import { type TlsClient, tlsSender } from '../support/mtls.ts';
import { freePort } from '../support/net.ts';
import { makeCert } from '../support/openssl.ts';
import { tempDir } from './support.ts';
import { answeredBy, audited, times, WORKERS_ARGS } from './workers-support.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const WHOAMI = `/accounts/${ACCOUNT}/services/rest/whoami`;
const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

it('serve --workers 2 over HTTPS: both workers ask for client certificates and bind tokens', async () => {
  const dir = tempDir('certmint-workers-tls-');
  const db = join(dir, 'certmint.db');
  const store = await openStore(db);
  try {
    const client = await setUpClient(store);
    // Required: a token without the mapped certificate on the connection is refused.
    await updateIntegration({ store, clock: systemClock }, SYSTEM, ACCOUNT, client.clientId, {
      mtlsBinding: 'required',
    });
    const tls = await makeCert('ec-p256');
    const port = await freePort();
    const server = await serve(db, port, {
      args: [
        ...WORKERS_ARGS,
        '--tls-cert',
        tls.certPath,
        '--tls-key',
        tls.keyPath,
        '--client-certs',
        'request',
      ],
    });
    try {
      const out = server.output();
      assert.match(out, /client certificates: requested on TLS connections/);
      const base = `https://127.0.0.1:${port}`;
      assert.match(out, new RegExp(`issuer of an account A: ${base}/accounts/A`));
      const send = tlsSender(port, tls.certPem);
      const mapped: TlsClient = { cert: client.certificatePem, key: client.privateKeyPem };
      const tokenOver = async (c: TlsClient) =>
        send(
          {
            method: 'POST',
            path: tokenPath,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'client_credentials',
              client_assertion_type: JWT_BEARER,
              client_assertion: await assertion(client, base),
            }).toString(),
          },
          c,
        );

      // One connection per request (no agent): round-robin gives both workers some.
      let mark = server.output().length;
      const x5t = createHash('sha256')
        .update(new X509Certificate(client.certificatePem).raw)
        .digest('base64url');
      const tokens: string[] = [];
      for (const res of await times(10, () => tokenOver(mapped))) {
        assert.equal(res.status, 200, res.body);
        const token = res.json().access_token as string;
        assert.deepEqual(claimsOf(token).cnf, { 'x5t#S256': x5t });
        tokens.push(token);
      }
      assert.deepEqual([...(await answeredBy(server, mark, tokenPath, 10))].sort(), [1, 2]);

      mark = server.output().length;
      for (const res of await times(10, () => tokenOver({}))) {
        assert.equal(res.status, 401, res.body);
        assert.deepEqual(res.json(), {
          error: 'invalid_client',
          error_description:
            'this integration requires mutual TLS: present the mapped certificate on the connection',
        });
        assert.equal(res.headers['www-authenticate'], `Basic realm="${ACCOUNT}"`);
      }
      assert.deepEqual([...(await answeredBy(server, mark, tokenPath, 10))].sort(), [1, 2]);
      assert.equal(await audited(store, 'ClientCertificateMissing'), 10);

      // The bound token: accepted with its certificate, refused without, on both workers.
      const token = tokens[0] ?? '';
      const whoami = (c: TlsClient) =>
        send({ path: WHOAMI, headers: { authorization: `Bearer ${token}` } }, c);
      mark = server.output().length;
      for (const res of await times(10, () => whoami(mapped))) {
        assert.equal(res.status, 200, res.body);
        assert.equal(res.json().certificate_id, client.kid);
      }
      for (const res of await times(10, () => whoami({}))) {
        assert.equal(res.status, 401, res.body);
        assert.deepEqual(res.json(), {
          error: 'invalid_token',
          error_description:
            'the access token is bound to a client certificate this connection did not present',
        });
        assert.equal(
          res.headers['www-authenticate'],
          `Bearer realm="${ACCOUNT}", error="invalid_token"`,
        );
      }
      assert.deepEqual([...(await answeredBy(server, mark, WHOAMI, 20))].sort(), [1, 2]);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
