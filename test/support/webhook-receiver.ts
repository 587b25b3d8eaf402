/**
 * A webhook receiver as docs/cli.md tells integrators to write one: it recomputes the
 * HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret, compares in constant time, and
 * refuses a timestamp more than five minutes from its clock. Written from the documented recipe,
 * not from the sender's code. It can be told to fail the next requests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature and timestamp checked out. */
  verified: boolean;
  status: number;
}

export function verifySignature(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: string,
  nowSeconds: number,
): boolean {
  const timestamp = String(headers['certmint-timestamp'] ?? '');
  const signature = String(headers['certmint-signature'] ?? '');
  if (!/^[0-9]+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(
    `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  private failures = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** `now` is the receiver's clock in ms (the tests' frozen clock). */
  static async start(secret: string, now: () => number): Promise<WebhookReceiver> {
    let self: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const verified = verifySignature(secret, req.headers, body, Math.floor(now() / 1000));
        let status = verified ? 204 : 401;
        if (self && self.failures > 0) {
          self.failures -= 1;
          status = 503;
        }
        self?.received.push({ headers: req.headers, body, verified, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new WebhookReceiver(server, `http://127.0.0.1:${port}/hooks/certmint`);
    return self;
  }

  /** The next `n` requests get 503. */
  failNext(n: number): void {
    this.failures += n;
  }

  /** Requests answered 2xx. */
  get accepted(): ReceivedHook[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
