/**
 * The PostgreSQL half of the change feed: a dedicated connection that LISTENs on
 * `certmint_changes` (see changesChannel for installations outside the public schema). Writers `pg_notify` inside their transaction, so every node (this one
 * included, though it skips its own: they were announced locally) hears about a change exactly
 * when it commits. If the connection drops,
 * notifications may have been missed: listeners get `null` ("anything may have changed") and
 * the connection is re-established with a growing delay.
 */
import pg from 'pg';
import type { LocalFeed } from '../feed.ts';

export class PgListener {
  readonly #config: pg.ClientConfig;
  readonly #feed: LocalFeed;
  #client: pg.Client | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #delay = 250;
  readonly #isOwn: (backendPid: number) => boolean;
  readonly #channel: string;

  /** `isOwn`: whether a notifying backend is one of this store's (already announced locally). */
  constructor(
    config: pg.ClientConfig,
    feed: LocalFeed,
    channel: string,
    isOwn: (backendPid: number) => boolean,
  ) {
    this.#config = config;
    this.#feed = feed;
    this.#channel = channel;
    this.#isOwn = isOwn;
  }

  /** Connects and LISTENs; rejects if the first attempt fails. */
  async start(): Promise<void> {
    const client = new pg.Client({ ...this.#config, application_name: 'certmint-listener' });
    client.on('notification', (msg) => {
      if (msg.channel !== this.#channel || this.#isOwn(msg.processId)) return;
      this.#feed.emit(msg.payload || null);
    });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    await client.connect();
    await client.query(`LISTEN "${this.#channel.replace(/"/g, '""')}"`);
    // The listening socket must not keep the process alive: the CLI and tests exit when done.
    const socket = client.connection.stream as unknown as { unref?: () => void };
    socket.unref?.();
    if (this.#closed) {
      await client.end();
      return;
    }
    this.#client = client;
    this.#delay = 250;
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client || this.#closed) return;
    this.#client = null;
    this.#feed.emit(null);
    this.#retry();
  }

  #retry(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.start().then(
        () => this.#feed.emit(null),
        () => {
          this.#delay = Math.min(this.#delay * 2, 10_000);
          this.#retry();
        },
      );
    }, this.#delay);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const client = this.#client;
    this.#client = null;
    if (client) await client.end().catch(() => undefined);
  }
}
