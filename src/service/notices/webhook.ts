/**
 * Webhook delivery: a JSON POST signed like Stripe's and GitHub's, so a receiver can tell it came
 * from this server and is fresh:
 *
 *   Certmint-Timestamp: <unix seconds>
 *   Certmint-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *   Certmint-Delivery:  <notice id, the same on every retry>
 *
 * The receiver recomputes the HMAC over the raw bytes it received, compares in constant time,
 * and refuses a timestamp more than five minutes from its own clock (a replayed request).
 */
import { createHmac } from 'node:crypto';

export const TIMESTAMP_HEADER = 'certmint-timestamp';
export const SIGNATURE_HEADER = 'certmint-signature';
export const DELIVERY_HEADER = 'certmint-delivery';
const TIMEOUT_MS = 10_000;

/** `v1=<hex>`: the version lets the scheme change without breaking receivers. */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `v1=${mac}`;
}

export interface WebhookSender {
  send(payload: Record<string, unknown>, deliveryId: string, nowMs: number): Promise<void>;
}

export function webhookSender(o: { url: string; secret: string }): WebhookSender {
  return {
    async send(payload, deliveryId, nowMs) {
      const body = JSON.stringify(payload);
      const timestamp = Math.floor(nowMs / 1000);
      let res: Response;
      try {
        res = await fetch(o.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'certmint-notices',
            [TIMESTAMP_HEADER]: String(timestamp),
            [SIGNATURE_HEADER]: signWebhook(o.secret, timestamp, body),
            [DELIVERY_HEADER]: deliveryId,
          },
          body,
          // A redirect would carry the notice to a URL nobody configured: it counts as a failure.
          redirect: 'manual',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (e) {
        const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
        throw new Error(
          `webhook POST failed: ${e instanceof Error ? e.message : String(e)}${cause}`,
        );
      }
      await res.body?.cancel();
      if (res.status < 200 || res.status > 299) {
        throw new Error(`webhook answered HTTP ${res.status}`);
      }
    },
  };
}
