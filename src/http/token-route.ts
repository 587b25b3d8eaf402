/**
 * The token endpoint answered straight from node:http, in front of Fastify.
 *
 * Every token request otherwise pays Fastify's request and reply objects, its router, its body
 * parser, hooks and serializer: side by side with the same store, skipping them took about 5 %
 * off the CPU a token costs (1.00–1.17 × per CPU-second; docs/performance.md). This handler
 * takes only the plain case: `POST` to the exact token path of a well-formed account id, a form
 * body whose length is announced and within the body limit, no client certificate to read, no
 * proxy to trust, a server that is not closing (with or without a DPoP proof). Everything else,
 * and every other route, goes to Fastify unchanged.
 *
 * The answer is the Fastify route's, byte for byte: the same service call (token-service.ts
 * runs every check, the replay claim and the audit record), the same headers, and errors
 * through the one error serializer (errors.ts). test/http/token-route.test.ts compares both.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { OAUTH_PATH } from '../domain/endpoints.ts';
import { bindsTokens } from './client-certificate.ts';
import type { AppContext } from './context.ts';
import { answerError, type ErrorReply } from './errors.ts';
import { NO_SUCH_ACCOUNT } from './routes/account-param.ts';
import { isFormContentType, noStore } from './routes/oauth.ts';
import { dpopSender } from './sender.ts';

/** The route's pattern, as Fastify names it (metrics label it so on both paths). */
export const TOKEN_ROUTE = `/accounts/:accountId${OAUTH_PATH}/token`;

const PREFIX = '/accounts/';
const SUFFIX = `${OAUTH_PATH}/token`;
/** The AccountId schema's pattern (schemas.ts); anything else is Fastify's to refuse. */
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,40}$/;

export interface TokenRouteOptions {
  bodyLimit: number;
  trustProxy: boolean;
  log: FastifyBaseLogger;
  /** Request latencies, when metrics are on (the Fastify routes' hook: metrics.ts). */
  observe?: ((route: string, method: string, seconds: number) => void) | undefined;
}

const ignore = (): void => {};

/** A JSON answer on a node:http response, written once, the way Fastify writes one. */
class RawReply implements ErrorReply<void> {
  private status = 200;
  private readonly headers: Record<string, string> = {};
  constructor(private readonly res: ServerResponse) {}
  header(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
  code(status: number): this {
    this.status = status;
    return this;
  }
  send(body: Readonly<Record<string, string | number>>): void {
    const text = JSON.stringify(body);
    this.headers['content-type'] = 'application/json; charset=utf-8';
    this.headers['content-length'] = String(Buffer.byteLength(text));
    this.res.writeHead(this.status, this.headers);
    this.res.end(text);
  }
}

export class TokenRoute {
  /** Requests answered here (tests: proof that the plain case did not reach Fastify). */
  served = 0;
  private closing = false;
  /** Settings under which Fastify must read every request (a proxy's address, a certificate). */
  private readonly fastifyOnly: boolean;

  constructor(
    private readonly ctx: AppContext,
    private readonly o: TokenRouteOptions,
  ) {
    this.fastifyOnly = o.trustProxy || bindsTokens(ctx.clientCertificates);
  }

  /** From now on every request goes to Fastify, which answers 503 while closing. */
  close(): void {
    this.closing = true;
  }

  /** Answers `req` and returns true, or returns false and leaves it untouched for Fastify. */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    const accountId = this.accountOf(req);
    if (accountId === null) return false;
    this.served++;
    const started = this.o.observe ? performance.now() : 0;
    // The body's bytes, decoded once at the end (no StringDecoder per request): one chunk for
    // a token request; several joined first, so a character split between them stays whole.
    let first: Buffer | null = null;
    let chunks: Buffer[] | null = null;
    req.on('data', (chunk: Buffer) => {
      if (first === null) {
        first = chunk;
        return;
      }
      chunks ??= [first];
      chunks.push(chunk);
    });
    // A client that goes away mid-body: nothing to answer, and no unhandled 'error' event.
    req.on('error', ignore);
    req.on('end', () => {
      const bytes: Buffer | null = chunks === null ? first : Buffer.concat(chunks);
      const body = bytes === null ? '' : bytes.toString('utf8');
      this.answer(accountId, body, req, res).then(
        () => this.o.observe?.(TOKEN_ROUTE, 'POST', (performance.now() - started) / 1000),
        (err: unknown) => {
          this.o.log.error({ err }, 'token answer failed');
          if (!res.headersSent) res.writeHead(500).end();
        },
      );
    });
    return true;
  }

  /** The account of a request this route takes, or null: Fastify's to answer. */
  private accountOf(req: IncomingMessage): string | null {
    if (req.method !== 'POST' || this.closing || this.fastifyOnly) return null;
    const h = req.headers;
    if (h['transfer-encoding'] !== undefined) return null;
    const length = Number(h['content-length']);
    if (!(length > 0 && length <= this.o.bodyLimit)) return null;
    if (!isFormContentType(h['content-type'])) return null;
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX) || !url.endsWith(SUFFIX)) return null;
    const id = url.slice(PREFIX.length, url.length - SUFFIX.length);
    return ACCOUNT_ID.test(id) ? id : null;
  }

  /** inAccount + the token route (routes/account-param.ts, routes/oauth.ts), on node:http. */
  private async answer(
    accountId: string,
    body: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const reply = new RawReply(res);
    const { services, explainErrors } = this.ctx;
    let realm: string | null = null;
    try {
      if (!(await services.accountExists(accountId))) {
        reply.code(404).send(NO_SUCH_ACCOUNT);
        return;
      }
      realm = accountId;
      // As the Fastify route: set before the call, so the errors keep these headers too.
      noStore(reply);
      const t = await services.tokens.issue(
        accountId,
        body,
        req.socket.remoteAddress ?? null,
        // RFC 9449: the proof names the method and URL; the route took only a POST to this path.
        dpopSender(this.ctx, { headers: req.headers, method: 'POST', url: req.url ?? '' }),
      );
      // The route's response schema: exactly these three members.
      reply.send({
        access_token: t.access_token,
        token_type: t.token_type,
        expires_in: t.expires_in,
      });
    } catch (err) {
      answerError(reply, err, { realm, explain: explainErrors, scheme: 'Basic', log: this.o.log });
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The token route on node:http when buildApp was asked for it (tests read `served`). */
    tokenRoute: TokenRoute | null;
  }
}
