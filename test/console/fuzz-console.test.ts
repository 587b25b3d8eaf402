/**
 * Property-based fuzzing of every console POST route: arbitrary form fields (known names,
 * unknown ones, repeated, hostile values), multipart bodies with and without a file, malformed
 * bodies and odd content types, signed in as the administrator (with a valid CSRF token, so the
 * page handlers and the services are reached) or not signed in at all. For every input: never a
 * 5xx, and either a redirect with a Location or an HTML page. Settings: test/support/fuzz.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { fuzzParameters } from '../support/fuzz.ts';
import { consolePostRoutes } from './routes.ts';
import { Browser, type ConsoleFixture, consoleFixture, csrfOf, signIn } from './support.ts';

/** Routes that would end the fuzzing session itself are fuzzed only when signed out. */
const SESSION_ROUTES = /^\/console\/(login|logout)/;
const FIELDS = [
  'active',
  'certificate',
  'choice',
  'code',
  'email',
  'entity',
  'integration',
  'kind',
  'n',
  'name',
  'password',
  'permission',
  'role',
  'scope',
  'state',
  'type',
  'view',
];

interface Input {
  route: string;
  /** Path parameters, in order of appearance. */
  params: string[];
  signedIn: boolean;
  csrf: 'valid' | 'missing' | 'garbage';
  encoding: 'urlencoded' | 'multipart' | 'raw';
  fields: Array<[string, string]>;
  file: { name: string; content: string } | null;
  raw: { contentType: string; payload: string };
}

describe('fuzzing the console POST routes', () => {
  let f: ConsoleFixture;
  let b: Browser;
  let csrf = '';
  let routes: string[] = [];
  before(async () => {
    f = await consoleFixture();
    b = new Browser(f.app);
    await signIn(b, f.clock, f.admin.email, f.admin.password);
    csrf = csrfOf((await b.get('/console/roles/new')).body);
    routes = consolePostRoutes(f.app);
  });
  after(async () => {
    await f.close();
  });

  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.integer().map(String),
    fc.constantFrom('', 'on', 'true', '-1', '0', '1000', 'TSTDRV0000001', 'restlets', 'page'),
    fc.constantFrom('x'.repeat(5000), '<script>alert(1)</script>', '__proto__', 'constructor'),
  );
  /** Never the administrator (entity 1) or its role (3): the session must survive the run. */
  const param = fc
    .oneof(fc.constantFrom('2', '999', '1000', 'abc', '-1', '0', ''), fc.string({ maxLength: 12 }))
    .filter((p) => p !== '1' && p !== '3');

  const input = (all: string[]): fc.Arbitrary<Input> =>
    fc.record({
      route: fc.constantFrom(...all),
      params: fc.array(param, { minLength: 2, maxLength: 2 }),
      signedIn: fc.boolean(),
      csrf: fc.constantFrom<Input['csrf']>('valid', 'valid', 'valid', 'missing', 'garbage'),
      encoding: fc.constantFrom<Input['encoding']>('urlencoded', 'urlencoded', 'multipart', 'raw'),
      fields: fc.array(
        fc.tuple(
          fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, fc.string()),
          value,
        ),
        { maxLength: 8 },
      ),
      file: fc.option(
        fc.record({
          name: fc.oneof(
            fc.constantFrom('a.pem', 'a.cer', 'a.txt', ''),
            fc.string({ maxLength: 20 }),
          ),
          content: fc.string({ unit: 'binary', maxLength: 200 }),
        }),
      ),
      raw: fc.record({
        contentType: fc.constantFrom(
          'application/json',
          'text/plain',
          'multipart/form-data',
          'multipart/form-data; boundary=z',
          'application/x-www-form-urlencoded',
        ),
        payload: fc.string({ unit: 'binary', maxLength: 200 }),
      }),
    });

  function urlOf(i: Input): string {
    let n = 0;
    return i.route.replace(/:\w+/g, () => encodeURIComponent(i.params[n++] ?? 'x'));
  }

  /** Header-safe multipart field names and file names (quotes and line ends would end them). */
  const safe = (s: string) => s.replace(/["\r\n\\]/g, '_');

  function bodyOf(i: Input): { contentType: string; payload: Buffer | string } {
    const fields: Array<[string, string]> = [...i.fields];
    if (i.csrf === 'valid') fields.unshift(['_csrf', csrf]);
    if (i.csrf === 'garbage') fields.unshift(['_csrf', 'not-the-token']);
    if (i.encoding === 'raw') return i.raw;
    if (i.encoding === 'urlencoded') {
      return {
        contentType: 'application/x-www-form-urlencoded',
        payload: new URLSearchParams(fields).toString(),
      };
    }
    const boundary = 'certmintfuzz';
    const parts = fields.map(
      ([k, v]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${safe(k)}"\r\n\r\n${v}\r\n`,
    );
    if (i.file) {
      parts.push(
        `--${boundary}\r\nContent-Disposition: form-data; name="certificate"; filename="${safe(i.file.name)}"\r\n` +
          `Content-Type: application/octet-stream\r\n\r\n${i.file.content}\r\n`,
      );
    }
    return {
      contentType: `multipart/form-data; boundary=${boundary}`,
      payload: Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'latin1'),
    };
  }

  async function send(i: Input): Promise<LightMyRequestResponse> {
    const { contentType, payload } = bodyOf(i);
    const cookie = i.signedIn
      ? [...b.jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
      : // The CSRF cookie alone: a signed-out browser that loaded the sign-in page.
        [...b.jar]
          .filter(([k]) => !k.includes('session'))
          .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
          .join('; ');
    return f.app.inject({
      method: 'POST',
      url: urlOf(i),
      remoteAddress: b.remoteAddress,
      headers: { cookie, 'content-type': contentType },
      payload,
    });
  }

  function assertWellFormed(i: Input, res: LightMyRequestResponse): void {
    const what = `${urlOf(i)} (${i.encoding}, ${i.signedIn ? 'signed in' : 'signed out'}) → ${res.statusCode}`;
    assert.ok(res.statusCode < 500, `${what}: ${res.body.slice(0, 300)}`);
    if (res.statusCode >= 300 && res.statusCode < 400) {
      assert.match(String(res.headers.location), /^\/console\//, what);
      return;
    }
    assert.match(String(res.headers['content-type']), /^text\/html/, what);
    assert.match(res.body, /<\/html>\s*$/, what);
  }

  it('signed in or not: never a 5xx; a redirect or an HTML page', async () => {
    const all = routes.filter((r) => !SESSION_ROUTES.test(r));
    assert.ok(all.length >= 12, all.join());
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(input(all), async (i) => {
        const res = await send(i);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        assertWellFormed(i, res);
      }),
      fuzzParameters(400),
    );
    // The handlers were reached: successes (303) and the forms' own refusals (400) occur.
    for (const status of [303, 400, 403]) {
      assert.ok((statuses.get(status) ?? 0) > 0, `no ${status} among ${[...statuses]}`);
    }
    // The session survived: the run really was signed in throughout.
    assert.equal((await b.get('/console/roles/new')).statusCode, 200);
  });

  it('sign-in and sign-out routes, signed out: never a 5xx', async () => {
    const session = routes.filter((r) => SESSION_ROUTES.test(r));
    assert.ok(session.length >= 3, session.join());
    await fc.assert(
      fc.asyncProperty(input(session), async (i) => {
        const res = await send({ ...i, signedIn: false });
        assertWellFormed(i, res);
      }),
      fuzzParameters(150),
    );
  });
});
