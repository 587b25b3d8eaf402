/**
 * The PostgreSQL half of the change feed: a dedicated connection that LISTENs on
 * `certmint_changes` (see changesChannel for installations outside the public schema). Writers
 * `pg_notify` inside their transaction, so every node (this one included, though it skips its
 * own: they were announced locally) hears about a change exactly when it commits.
 *
 * A connection can also go silent without closing (a NAT or firewall dropping an idle flow, a
 * stalled network): no error, no notification, and the node would serve stale records until the
 * caches' TTL. So the listener heartbeats: every third of `timeoutMs` it has a NOTIFY sent (by
 * the store's pool, the way a change is sent) on a channel only its own connection listens to,
 * and expects it back within two beats. A heartbeat not back in time marks the connection
 * stale, like a lost one: listeners get `null` ("anything may have changed"), the socket is
 * destroyed (a polite goodbye would wait on the silent peer) and a new connection is made with
 * a growing delay. Until it listens again, `null` is repeated every `timeoutMs`, so no cache
 * entry outlives the bound while no notification can arrive. A change is thus noticed within
 * about `timeoutMs`, whatever happens to the connection.
 */
import pg from 'pg';
import type { LocalFeed } from '../feed.ts';

interface Heartbeat {
  channel: string;
  /** The payload of the heartbeat on its way, or null when none is. */
  seq: number | null;
  /** Beats since the NOTIFY committed without the notification coming back (null: not yet sent). */
  beats: number | null;
}

export interface PgListenerOptions {
  /** The longest the listener may stay silent before it counts as stale (ms). */
  timeoutMs: number;
  /** Sends a notification from another connection (the store's pool). */
  notify: (channel: string, payload: string) => Promise<void>;
}

export class PgListener {
  readonly #config: pg.ClientConfig;
  readonly #feed: LocalFeed;
  #client: pg.Client | null = null;
  #heartbeat: Heartbeat | null = null;
  #seq = 0;
  #timer: NodeJS.Timeout | null = null;
  #beat: NodeJS.Timeout | null = null;
  #closed = false;
  #delay = 250;
  readonly #isOwn: (backendPid: number) => boolean;
  readonly #channel: string;
  readonly #timeoutMs: number;
  readonly #notify: PgListenerOptions['notify'];

  /** `isOwn`: whether a notifying backend is one of this store's (already announced locally). */
  constructor(
    config: pg.ClientConfig,
    feed: LocalFeed,
    channel: string,
    isOwn: (backendPid: number) => boolean,
    opts: PgListenerOptions,
  ) {
    this.#config = config;
    this.#feed = feed;
    this.#channel = channel;
    this.#isOwn = isOwn;
    this.#timeoutMs = opts.timeoutMs;
    this.#notify = opts.notify;
  }

  /** True while a connection is listening (not lost, not found stale). */
  get listening(): boolean {
    return this.#client !== null;
  }

  /** Connects and LISTENs; rejects if the first attempt fails. */
  async start(): Promise<void> {
    const client = new pg.Client({
      ...this.#config,
      application_name: 'certmint-listener',
      // Lets the kernel notice a peer that vanished, as a second line behind the heartbeat.
      keepAlive: true,
      keepAliveInitialDelayMillis: this.#timeoutMs,
    });
    client.on('notification', (msg) => this.#notified(client, msg));
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      // A channel of this connection alone (backend pids are unique on the server): heartbeats
      // never reach another node.
      const pid = (client as unknown as { processID?: number | null }).processID ?? 0;
      const heartbeatChannel = `certmint_heartbeat_${pid}`;
      await client.query(`LISTEN ${ident(heartbeatChannel)}`);
      // Last, so pg_stat_activity shows which installation this connection listens for.
      await client.query(`LISTEN ${ident(this.#channel)}`);
      this.#heartbeat = { channel: heartbeatChannel, seq: null, beats: null };
    } catch (e) {
      destroy(client);
      throw e;
    }
    // The listening socket must not keep the process alive: the CLI and tests exit when done.
    socketOf(client)?.unref?.();
    if (this.#closed) {
      await endOrDestroy(client);
      return;
    }
    this.#client = client;
    this.#delay = 250;
    this.#startBeating();
  }

  #notified(client: pg.Client, msg: pg.Notification): void {
    const hb = this.#heartbeat;
    if (hb && msg.channel === hb.channel) {
      if (client === this.#client && msg.payload === String(hb.seq)) {
        hb.seq = null;
        hb.beats = null;
      }
      return;
    }
    if (msg.channel !== this.#channel || this.#isOwn(msg.processId)) return;
    this.#feed.emit(msg.payload || null);
  }

  #startBeating(): void {
    if (this.#beat || this.#closed) return;
    let silentFor = 0;
    const every = Math.max(1, Math.floor(this.#timeoutMs / 3));
    this.#beat = setInterval(() => {
      const client = this.#client;
      const hb = this.#heartbeat;
      if (!client || !hb) {
        // Not listening: nothing can tell us of a change, so say "anything" once per bound.
        silentFor += every;
        if (silentFor >= this.#timeoutMs) {
          silentFor = 0;
          this.#feed.emit(null);
        }
        return;
      }
      silentFor = 0;
      if (hb.seq !== null) {
        // On its way. Counted from its commit: a busy pool delays the send, not the answer.
        if (hb.beats !== null && ++hb.beats >= 2) this.#stale(client);
        return;
      }
      const seq = ++this.#seq;
      hb.seq = seq;
      this.#notify(hb.channel, String(seq)).then(
        () => {
          if (hb.seq === seq && hb.beats === null) hb.beats = 0;
        },
        // The database cannot be reached: this connection is no better off.
        () => this.#stale(client),
      );
    }, every);
    this.#beat.unref();
  }

  #stale(client: pg.Client): void {
    if (this.#client !== client || this.#closed) return;
    destroy(client);
    this.#lost(client);
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client || this.#closed) return;
    this.#client = null;
    this.#heartbeat = null;
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
    if (this.#beat) clearInterval(this.#beat);
    this.#timer = null;
    this.#beat = null;
    const client = this.#client;
    this.#client = null;
    if (client) await endOrDestroy(client);
  }
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const socketOf = (client: pg.Client) =>
  (client as unknown as { connection?: { stream?: { unref?: () => void; destroy?: () => void } } })
    .connection?.stream;

/** Drops the connection without waiting for the server (which may never answer). */
function destroy(client: pg.Client): void {
  socketOf(client)?.destroy?.();
}

/** Says goodbye, but waits at most a second for a server that may have gone silent. */
async function endOrDestroy(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const patience = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 1000);
  });
  await Promise.race([client.end().catch(() => undefined), patience]);
  clearTimeout(timer);
  destroy(client);
}
