/**
 * What one slow or idle client may hold: the HTTP server's timeouts and its connection cap.
 * Node's and Fastify's defaults leave the request and socket timeouts at 0 (never), so clients
 * that send headers and half a body, or nothing at all, each keep a socket (a file descriptor)
 * open for as long as they like; enough of them and every new connection fails.
 */
import type { ServerOptions } from 'node:http';

export interface ServerLimits {
  /** The request line and headers must have arrived within this (ms; Node: 408, then close). */
  headersTimeoutMs: number;
  /** The whole request, body included, must have arrived within this (ms; 408, then close). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms) without a new request. */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic in either direction for this long (ms) is destroyed. */
  idleTimeoutMs: number;
  /** Connections beyond this many open ones are closed at once (net.Server.maxConnections). */
  maxConnections: number;
}

/**
 * Defaults no honest client comes near (a token request is under 2 KB; the largest body, a
 * console certificate upload, is at most 64 KiB):
 * - headers within 10 s, the whole request within 30 s — slow mobile links manage both;
 * - keep-alive 72 s: longer than the 60 s idle timeout of common load balancers, so the balancer,
 *   not certmint, closes an idle connection (otherwise a request racing the close fails);
 * - a socket silent for 120 s is gone (a client that stopped reading its answer);
 * - 512 connections: half the common 1024 open-file limit, so the database, the log and the
 *   listening socket always have descriptors left and the server itself keeps working.
 */
export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
  idleTimeoutMs: 120_000,
  maxConnections: 512,
};

export function serverLimits(given: Partial<ServerLimits> = {}): ServerLimits {
  const limits = { ...DEFAULT_SERVER_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a whole number of at least 1 (got ${String(value)})`);
    }
  }
  // Node refuses a headers timeout above the request timeout (the request includes them).
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError('headersTimeoutMs must not exceed requestTimeoutMs');
  }
  return limits;
}

/**
 * Options of `http.createServer`. Node enforces the headers and request timeouts on a periodic
 * sweep (`connectionsCheckingInterval`, 30 s by default), which would let a 10 s timeout last up
 * to 40 s: sweep at a quarter of the shorter timeout, at most once a second.
 */
export function httpServerOptions(l: ServerLimits): ServerOptions {
  const sweep = Math.max(5, Math.min(1000, Math.floor(l.headersTimeoutMs / 4)));
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: sweep,
  };
}
