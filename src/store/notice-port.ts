/**
 * The storage port of certificate expiry notices (re-exported by ports.ts, where `Store` names
 * it): kept apart so the main port file stays readable.
 */
import type { Mapping } from '../domain/mapping.ts';
import type { NoticeChannel, NoticeStatus } from '../domain/notices.ts';

/** One expiry notice delivery: a (certificate, threshold, channel) that one node claimed. */
export interface NoticeKey {
  certificateId: string;
  /** The threshold in days before validUntil (60, 30, 14, …). */
  thresholdDays: number;
  channel: NoticeChannel;
}

export interface NoticeDelivery extends NoticeKey {
  accountId: string;
  status: NoticeStatus;
  /** Attempts made or under way, the first included. */
  attempts: number;
  /** `sending`: when the holder's lease runs out; `retry`: when the next attempt is due; else null. */
  nextAttemptAt: number | null;
  claimedAt: number;
  /** Which node (services instance) made the last attempt. */
  claimedBy: string;
  /** When it was sent, given up or cancelled. */
  finishedAt: number | null;
  lastError: string | null;
}

/** The outcome of one attempt. */
export type NoticeOutcome =
  | { status: 'sent' | 'failed' | 'cancelled'; at: number; error: string | null }
  | { status: 'retry'; at: number; nextAttemptAt: number; error: string };

/**
 * Expiry notices, sent once per (certificate, threshold, channel) across every node sharing the
 * database: a delivery is claimed by an atomic unique insert before anything is sent, and every
 * later step is a compare-and-set on its attempt count, so two nodes never hold one delivery.
 */
export interface NoticeStore {
  /** Mappings not revoked with now < validUntil <= until, in every account, soonest first. */
  expiring(now: number, until: number): Promise<Mapping[]>;
  /**
   * Atomic unique insert (status `sending`, attempt 1, lease until `leaseUntil`): true for the
   * one caller that claims the key, false for every other, then and later. Never check-then-write.
   */
  claim(
    key: NoticeKey,
    accountId: string,
    now: number,
    leaseUntil: number,
    by: string,
  ): Promise<boolean>;
  /** Deliveries whose next attempt is due: `retry`, or `sending` whose lease ran out; oldest first. */
  due(now: number, limit: number): Promise<NoticeDelivery[]>;
  /**
   * Takes over a due delivery last seen with `attempts`: status `sending`, one more attempt, a new
   * lease. True for exactly one caller, false when it is no longer due or another node took it.
   */
  retake(
    key: NoticeKey,
    attempts: number,
    now: number,
    leaseUntil: number,
    by: string,
  ): Promise<boolean>;
  /**
   * Records the outcome of attempt `attempts` while it is still the holder's (status `sending`,
   * same attempt count); false when another node took the delivery over meanwhile.
   */
  finish(key: NoticeKey, attempts: number, outcome: NoticeOutcome): Promise<boolean>;
  /** Newest claim first; every account when `accountId` is not given. */
  list(filter: {
    accountId?: string;
    certificateId?: string;
    limit: number;
  }): Promise<NoticeDelivery[]>;
}
