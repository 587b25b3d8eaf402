/**
 * Console test support: an app on a real SQLite store with the first-start administrator, and a
 * tiny cookie-keeping client over `app.inject()` that submits forms the way a browser does
 * (CSRF token taken from the page it just loaded).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import { FixedClock } from '../../src/domain/clock.ts';
import { type Bootstrapped, bootstrapEmptyStore } from '../../src/service/bootstrap.ts';
import type { Store } from '../../src/store/ports.ts';
import { testApp } from '../support/app.ts';
import { postgresStores, sqliteStores } from '../support/stores.ts';

/** Real time: OpenSSL-made certificates start now, and the frozen clock must agree with them. */
export const T0 = Math.floor(Date.now() / 1000) * 1000;
export const PUBLIC_URL = 'http://certmint.test';
/** The CERTMINT_SECRET of the console test app (tests decrypt what it sealed). */
export const CONSOLE_TEST_SECRET = 'console-test-secret-0123456789';

export interface ConsoleFixture {
  app: FastifyInstance;
  store: Store;
  clock: FixedClock;
  admin: Bootstrapped;
  close(): Promise<void>;
}

export async function consoleFixture(
  opts: { publicUrl?: string; backend?: 'sqlite' | 'postgres' } = {},
): Promise<ConsoleFixture> {
  const clock = new FixedClock(T0);
  const factory = opts.backend === 'postgres' ? postgresStores() : sqliteStores;
  if (!factory) throw new Error(`no ${opts.backend} store factory`);
  const store = await factory.open({ clock });
  const admin = await bootstrapEmptyStore({ store, clock });
  if (!admin) throw new Error('store was not empty');
  const { app } = await testApp({
    store,
    secret: CONSOLE_TEST_SECRET,
    publicUrl: opts.publicUrl ?? PUBLIC_URL,
    clock,
  });
  return {
    app,
    store,
    clock,
    admin,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

export interface Cookie {
  name: string;
  value: string;
  attributes: string;
}

/** Parses Set-Cookie headers (name, value and the raw attribute string). */
export function setCookies(res: LightMyRequestResponse): Cookie[] {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((line) => {
    const [pair = '', ...attrs] = line.split(';');
    const at = pair.indexOf('=');
    return {
      name: pair.slice(0, at).trim(),
      value: decodeURIComponent(pair.slice(at + 1).trim()),
      attributes: attrs.join(';').trim(),
    };
  });
}

export const csrfOf = (html: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error('no CSRF token in the page');
  return m[1];
};

const rnd = (): number => 1 + Math.floor(Math.random() * 254);

/** A cookie-keeping client: what a browser would do, over inject. */
export class Browser {
  readonly jar = new Map<string, string>();
  last: LightMyRequestResponse | null = null;
  /** Each browser its own address, so tests do not share the per-address sign-in rate limit. */
  readonly remoteAddress = `127.${rnd()}.${rnd()}.${rnd()}`;
  constructor(private readonly app: FastifyInstance) {}

  private cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
  }

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of setCookies(res)) {
      if (c.value === '' || /expires=Thu, 01 Jan 1970/i.test(c.attributes)) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    this.last = res;
    return res;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.keep(
      await this.app.inject({
        method: 'GET',
        url,
        remoteAddress: this.remoteAddress,
        headers: { cookie: this.cookieHeader(), ...headers },
      }),
    );
  }

  /** POSTs a urlencoded form; `_csrf` is taken from the last page unless given (null: none). */
  async post(
    url: string,
    form: Record<string, string | string[]>,
    csrf?: string | null,
  ): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    const token = csrf === undefined ? csrfOf(this.last?.body ?? '') : csrf;
    if (token !== null) body.append('_csrf', token);
    for (const [k, v] of Object.entries(form)) {
      for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    }
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        remoteAddress: this.remoteAddress,
        headers: {
          cookie: this.cookieHeader(),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: body.toString(),
      }),
    );
  }

  /** POSTs multipart/form-data with one file. */
  async upload(
    url: string,
    fields: Record<string, string>,
    file: { field: string; name: string; content: Buffer | string },
    csrf?: string,
  ): Promise<LightMyRequestResponse> {
    const boundary = `----certmint${Math.random().toString(16).slice(2)}`;
    const parts: Buffer[] = [];
    const all = { _csrf: csrf ?? csrfOf(this.last?.body ?? ''), ...fields };
    for (const [k, v] of Object.entries(all)) {
      parts.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
      );
    }
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    );
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        remoteAddress: this.remoteAddress,
        headers: {
          cookie: this.cookieHeader(),
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        payload: Buffer.concat(parts),
      }),
    );
  }
}

/** The Base32 key shown on the enrolment page. */
export function enrolmentSecret(html: string): string {
  const m = /id="totp-secret" class="secret">([A-Z2-7]+)</.exec(html);
  if (!m?.[1]) throw new Error('no TOTP secret on the page');
  return m[1];
}

export const totpCode = (secret: string, at: number): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: at });

export function recoveryCodesOf(html: string): string[] {
  return [...html.matchAll(/\b([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})\b/g)].map(
    (m) => m[1] ?? '',
  );
}

/**
 * Signs in and, for a two-factor role, enrols (first time) or enters a code. Returns the
 * recovery codes when it enrolled. The clock is advanced 30 s after each code so the next
 * code is of a fresh time step (a step is accepted once).
 */
export async function signIn(
  b: Browser,
  clock: FixedClock,
  email: string,
  password: string,
  totpSecret?: string,
): Promise<{ secret: string | null; recoveryCodes: string[] }> {
  await b.get('/console/login');
  let res = await b.post('/console/login', { email, password });
  if (res.statusCode !== 303) throw new Error(`sign-in refused: ${res.statusCode}`);
  if (res.headers.location === '/console/') return { secret: null, recoveryCodes: [] };
  if (res.headers.location !== '/console/login/two-factor') {
    throw new Error(`unexpected redirect ${String(res.headers.location)}`);
  }
  res = await b.get('/console/login/two-factor');
  const enrolling = res.body.includes('id="totp-secret"');
  const secret = enrolling ? enrolmentSecret(res.body) : totpSecret;
  if (!secret) throw new Error('two-factor code needed but no secret given');
  res = await b.post('/console/login/two-factor', { code: totpCode(secret, clock.now()) });
  clock.advance(30_000);
  if (enrolling) {
    // POST/redirect/GET: the codes are on the page the confirmation redirects to.
    if (res.statusCode !== 303 || res.headers.location !== '/console/login/recovery-codes') {
      throw new Error(`enrolment refused: ${res.statusCode}`);
    }
    res = await b.get('/console/login/recovery-codes');
    return { secret, recoveryCodes: recoveryCodesOf(res.body) };
  }
  if (res.statusCode !== 303) throw new Error(`code refused: ${res.statusCode}`);
  return { secret, recoveryCodes: [] };
}
