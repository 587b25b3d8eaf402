/**
 * A multipart body that cannot be read, sent to any console POST route (signed in or not), is
 * a 400 page and at most an info line in the log: never a 500, never an error line. The routes
 * are taken from the running app, so a new POST route is covered without editing this test.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { FixedClock } from '../../src/domain/clock.ts';
import { type Bootstrapped, bootstrapEmptyStore } from '../../src/service/bootstrap.ts';
import type { Store } from '../../src/store/ports.ts';
import { testApp } from '../support/app.ts';
import { sqliteStores } from '../support/stores.ts';
import { consolePostRoutes } from './routes.ts';
import { Browser, CONSOLE_TEST_SECRET, csrfOf, PUBLIC_URL, signIn, T0 } from './support.ts';

/** Bodies no multipart parser can read, each with its content type. */
const MALFORMED: Array<[string, string, string]> = [
  [
    'no boundary',
    'multipart/form-data',
    '--X\r\nContent-Disposition: form-data; name="a"\r\n\r\nv',
  ],
  ['boundary never seen', 'multipart/form-data; boundary=X', 'just some bytes'],
  [
    'truncated field',
    'multipart/form-data; boundary=X',
    '--X\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue without an end',
  ],
  [
    'truncated file',
    'multipart/form-data; boundary=X',
    '--X\r\nContent-Disposition: form-data; name="certificate"; filename="a.pem"\r\n' +
      'Content-Type: application/octet-stream\r\n\r\n-----BEGIN CERTIFICATE-----\r\nMIIB',
  ],
  ['headers cut short', 'multipart/form-data; boundary=X', '--X\r\nContent-Disposition: form-da'],
];

/** Every POST route under /console, with sample values for its parameters. */
const consolePostUrls = (app: FastifyInstance): string[] =>
  consolePostRoutes(app).map((p) => p.replace(/:certificateId/g, 'abc').replace(/:\w+/g, '1'));

describe('malformed multipart bodies on the console', () => {
  let store: Store;
  let app: FastifyInstance;
  let admin: Bootstrapped;
  const clock = new FixedClock(T0);
  const lines: Array<{ level: number; msg: string }> = [];
  before(async () => {
    store = await sqliteStores.open({ clock });
    const made = await bootstrapEmptyStore({ store, clock });
    if (!made) throw new Error('store was not empty');
    admin = made;
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    ({ app } = await testApp({
      store,
      secret: CONSOLE_TEST_SECRET,
      publicUrl: PUBLIC_URL,
      clock,
      logger: pino({ level: 'trace' }, sink),
    }));
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  const errorLines = () => lines.filter((l) => l.level >= 50);

  it('every console POST route answers 400, unauthenticated, with no error line', async () => {
    const routes = consolePostUrls(app);
    // The app's known POST routes are all found (sign-in, pages, uploads, revocations).
    for (const known of ['/console/login', '/console/m2m', '/console/m2m/abc/revoke']) {
      assert.ok(routes.includes(known), `${known} in ${routes.join(', ')}`);
    }
    assert.ok(routes.length >= 15, routes.join(', '));
    for (const url of routes) {
      for (const [what, type, payload] of MALFORMED) {
        const res = await app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': type },
          payload,
        });
        assert.equal(res.statusCode, 400, `${what} → ${url}: ${res.statusCode}`);
        assert.match(String(res.headers['content-type']), /^text\/html/);
      }
    }
    assert.deepEqual(errorLines(), []);
    const refusals = lines.filter((l) => l.msg === 'malformed multipart body refused');
    assert.equal(refusals.length, routes.length * MALFORMED.length);
    assert.ok(
      refusals.every((l) => l.level === 30),
      'logged at info',
    );
  });

  it('signed in, a malformed upload is a 400 too; a well-formed one still reaches the form', async () => {
    const b = new Browser(app);
    await signIn(b, clock, admin.email, admin.password);
    const page = await b.get('/console/m2m/new');
    const csrf = csrfOf(page.body);
    for (const [what, type, payload] of MALFORMED) {
      const res = await app.inject({
        method: 'POST',
        url: '/console/m2m',
        remoteAddress: b.remoteAddress,
        headers: {
          cookie: [...b.jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; '),
          'content-type': type,
        },
        payload: payload.replace(
          '--X\r\n',
          `--X\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--X\r\n`,
        ),
      });
      assert.equal(res.statusCode, 400, `${what}: ${res.statusCode}`);
    }
    // A readable form without a file is the form's own refusal, not a parse error.
    const ok = await b.upload(
      '/console/m2m',
      { entity: '1', role: '3', integration: 'x' },
      { field: 'other', name: '', content: '' },
      csrf,
    );
    assert.equal(ok.statusCode, 400);
    assert.match(ok.body, /Choose the certificate file/);
    assert.deepEqual(errorLines(), []);
  });
});
