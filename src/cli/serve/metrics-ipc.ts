/**
 * /metrics on the main listener under `serve --workers N` (`--metrics-token-file`): the worker
 * that gets the request answers with the whole node's metrics, which only the primary can gather
 * (service/metrics-cluster.ts). So the worker asks the primary over the IPC channel
 * (`{ certmint: 'metrics', id }`), and the primary answers with the aggregated text, or why not.
 * Scrapes are rare (every 15-60 s): nothing here is on the token endpoint's path.
 */
import type { MetricsSource } from '../../service/metrics.ts';

/** The primary gives up on a silent worker after 5 s (prom-client): wait a little longer. */
export const ASK_PRIMARY_TIMEOUT_MS = 8_000;

export type MetricsRequest = { certmint: 'metrics'; id: number };
export type MetricsAnswer =
  | { certmint: 'metrics'; id: number; text: string }
  | { certmint: 'metrics'; id: number; error: string };

/** In the primary: answer one worker's request from the node's metrics. */
export function answerMetricsRequest(
  source: MetricsSource | null,
  request: MetricsRequest,
  reply: (m: MetricsAnswer) => void,
): void {
  const { id } = request;
  if (source === null) {
    reply({ certmint: 'metrics', id, error: 'metrics are not served by this node' });
    return;
  }
  source.scrape().then(
    (text) => reply({ certmint: 'metrics', id, text }),
    (e: unknown) =>
      reply({ certmint: 'metrics', id, error: e instanceof Error ? e.message : String(e) }),
  );
}

/**
 * In a worker: the node's metrics, asked of the primary. `send` writes to the IPC channel;
 * `answered` must be given every MetricsAnswer the worker receives.
 */
export class PrimaryMetrics implements MetricsSource {
  private next = 0;
  private readonly pending = new Map<
    number,
    { resolve: (t: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();

  constructor(
    readonly contentType: string,
    private readonly send: (m: MetricsRequest) => void,
    private readonly timeoutMs = ASK_PRIMARY_TIMEOUT_MS,
  ) {}

  scrape(): Promise<string> {
    const id = this.next++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the primary did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ certmint: 'metrics', id });
    });
  }

  answered(m: MetricsAnswer): void {
    const p = this.pending.get(m.id);
    if (p === undefined) return; // Timed out already.
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if ('text' in m) p.resolve(m.text);
    else p.reject(new Error(m.error));
  }
}
