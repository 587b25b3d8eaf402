/**
 * A small HTTP/1.1 keep-alive load generator: N connections, one request in flight on each,
 * every request with its own body from `next()` (pre-signed assertions are never reused, so a
 * correct replay check never trips). Latency is recorded per request with performance.now()
 * (sub-millisecond), kept in full, so percentiles are exact rather than histogram buckets.
 *
 * Why not autocannon: on this 2-core machine autocannon with a per-request body (setupRequest)
 * reached only a fraction of this client's rate against a trivial server (the calibration step
 * of run.ts measures both); a generator slower than the floor would measure itself.
 */
import { connect, type Socket } from 'node:net';

export interface LoadTarget {
  port: number;
  path: string;
  host?: string;
}

export interface LoadOptions {
  connections: number;
  durationMs: number;
  /** The next request body, or undefined when the pool is exhausted (the run then stops). */
  next: () => string | undefined;
}

export interface LoadResult {
  /** Answers received (any status). */
  completed: number;
  ok: number;
  /** Answers other than 200, by status. */
  non200: Record<string, number>;
  /** Socket errors and connections closed mid-request. */
  errors: number;
  elapsedMs: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** True when `next()` ran dry before the duration ended (the numbers then undercount). */
  exhausted: boolean;
  /** Up to three non-200 bodies, for diagnosis. */
  samples: string[];
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Parses one complete response at the start of `buf`; null when more bytes are needed. */
function parseResponse(buf: Buffer): { status: number; body: string; size: number } | null {
  const headEnd = buf.indexOf(CRLF2);
  if (headEnd < 0) return null;
  const head = buf.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const lower = head.toLowerCase();
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
  const start = headEnd + 4;
  if (cl) {
    const len = Number(cl[1]);
    if (buf.length < start + len) return null;
    return { status, body: buf.toString('utf8', start, start + len), size: start + len };
  }
  if (/\r\ntransfer-encoding:\s*chunked/.test(lower)) {
    // RFC 9112 §7.1: hex size line, data, CRLF … until a zero-size chunk (no trailers expected).
    let pos = start;
    let body = '';
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0) return null;
      const size = Number.parseInt(buf.toString('latin1', pos, lineEnd), 16);
      if (buf.length < lineEnd + 2 + size + 2) return null;
      if (size === 0) return { status, body, size: lineEnd + 4 };
      body += buf.toString('utf8', lineEnd + 2, lineEnd + 2 + size);
      pos = lineEnd + 2 + size + 2;
    }
  }
  return { status, body: '', size: start };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? 0;
}

export async function runLoad(target: LoadTarget, opts: LoadOptions): Promise<LoadResult> {
  const host = target.host ?? '127.0.0.1';
  const prefix =
    `POST ${target.path} HTTP/1.1\r\nHost: ${host}:${target.port}\r\n` +
    'Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n';
  let latencies = new Float64Array(65_536);
  let completed = 0;
  let ok = 0;
  let errors = 0;
  let exhausted = false;
  const non200: Record<string, number> = {};
  const samples: string[] = [];
  const start = performance.now();
  const deadline = start + opts.durationMs;
  let lastDone = start;

  const record = (ms: number) => {
    if (completed === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[completed++] = ms;
  };

  const connection = (): Promise<void> =>
    new Promise((done) => {
      let socket: Socket;
      let pending: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      let inFlight = false;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        socket.destroy();
        done();
      };
      const send = () => {
        if (performance.now() >= deadline) return finish();
        const body = opts.next();
        if (body === undefined) {
          exhausted = true;
          return finish();
        }
        inFlight = true;
        sentAt = performance.now();
        socket.write(`${prefix}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      };
      const open = () => {
        pending = Buffer.alloc(0);
        socket = connect({ host, port: target.port, noDelay: true });
        socket.on('connect', send);
        socket.on('data', (chunk: Buffer) => {
          pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
          const r = parseResponse(pending);
          if (!r) return;
          pending = pending.subarray(r.size);
          inFlight = false;
          const now = performance.now();
          record(now - sentAt);
          lastDone = now;
          if (r.status === 200) ok++;
          else {
            non200[r.status] = (non200[r.status] ?? 0) + 1;
            if (samples.length < 3) samples.push(`${r.status} ${r.body.slice(0, 300)}`);
          }
          send();
        });
        // Counted once per failure, on 'close' (which always follows 'error'): a request lost
        // in flight, or a connection that failed with none in flight (e.g. refused).
        socket.on('error', () => {});
        socket.on('close', (hadError: boolean) => {
          if (finished) return;
          if (inFlight || hadError) errors++;
          inFlight = false;
          // The server closed the connection (e.g. keep-alive limit): open a new one, after a
          // pause so a server that is down does not turn this into a busy loop.
          if (performance.now() < deadline) setTimeout(open, 5);
          else finish();
        });
      };
      open();
    });

  await Promise.all(Array.from({ length: opts.connections }, connection));
  const elapsedMs = Math.max(1, lastDone - start);
  const sorted = latencies.slice(0, completed).sort();
  return {
    completed,
    ok,
    non200,
    errors,
    elapsedMs,
    rps: (completed / elapsedMs) * 1000,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] ?? 0) : 0,
    exhausted,
    samples,
  };
}
