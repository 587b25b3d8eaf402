/**
 * Setup > Users/Roles > View Login Audit Trail: a filterable table (result, detail code, client
 * id, time range) and a chart of failures by detail code over the chosen period (default: the
 * last 24 hours). Each row says in plain words what happened and what to do (the texts of
 * domain/audit-explanations.ts, as the CLI and docs/http.md), and who made an administrative
 * change (an entity, or the command line). Filters are validated by the service; a bad one is
 * shown, not a 500.
 */
import type { FastifyInstance } from 'fastify';
import { type AuditEvent, DETAIL_CODES } from '../../domain/audit.ts';
import { explainAuditEvent, isAdministrativeEvent } from '../../domain/audit-explanations.ts';
import { type AuditQuery, MAX_AUDIT_LIMIT } from '../../service/index.ts';
import { isUserError } from '../errors.ts';
import { render } from '../render.ts';
import type { ConsoleEnv } from '../session.ts';
import { failureChart } from './chart.ts';
import { userOf } from './guard.ts';

const TABLE_LIMIT = 200;
const DAY = 86_400_000;

interface Filters {
  result: string;
  detail: string;
  client_id: string;
  from: string;
  to: string;
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim().slice(0, 100) : '');

/** `<input type="datetime-local">` has no zone: the page says UTC, so read it as UTC. */
const utc = (local: string): string =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local) ? `${local}:00Z` : local;

/** Who made an administrative change; blank for client requests (their columns say who). */
function actorLabel(e: AuditEvent, names: ReadonlyMap<number, string>): string {
  if (!isAdministrativeEvent(e.type)) return '';
  if (e.actor === null) return 'Command line';
  const name = names.get(e.actor);
  return name === undefined ? `entity ${e.actor}` : `${name} (entity ${e.actor})`;
}

export async function auditRoutes(app: FastifyInstance, opts: { env: ConsoleEnv }): Promise<void> {
  const { env } = opts;
  const { records } = env.services;

  app.get('/audit', async (req, reply) => {
    const { actor } = userOf(req);
    const raw = req.query as Record<string, unknown>;
    const q: Filters = {
      result: text(raw.result),
      detail: text(raw.detail),
      client_id: text(raw.client_id),
      from: text(raw.from),
      to: text(raw.to),
    };
    const query: AuditQuery = {
      accountId: actor.accountId,
      ...(q.result && { result: q.result }),
      ...(q.detail && { detail: q.detail }),
      ...(q.client_id && { clientId: q.client_id }),
      ...(q.from && { from: utc(q.from) }),
      ...(q.to && { to: utc(q.to) }),
    };
    const now = env.services.clock.now();
    let events: AuditEvent[] = [];
    let failures: AuditEvent[] = [];
    let error: string | undefined;
    try {
      events = await records.listAudit(actor, { ...query, limit: TABLE_LIMIT + 1 });
      const from = query.from === undefined ? now - DAY : Date.parse(String(query.from));
      const to = query.to === undefined ? now + 1 : Date.parse(String(query.to));
      const { result: _r, ...forChart } = query;
      failures = await records.listAudit(actor, {
        ...forChart,
        result: 'failure',
        from,
        to,
        limit: MAX_AUDIT_LIMIT,
      });
      const chart = failureChart(failures, from, to);
      const shown = events.slice(0, TABLE_LIMIT);
      const actorIds = [...new Set(shown.flatMap((e) => (e.actor === null ? [] : [e.actor])))];
      const names = await records.auditActorNames(actor, actor.accountId, actorIds);
      return render(
        req,
        reply,
        'audit',
        {
          q,
          detailCodes: DETAIL_CODES,
          events: shown.map((e) => ({
            ...e,
            explanation: explainAuditEvent(e),
            actorLabel: actorLabel(e, names),
          })),
          more: events.length > TABLE_LIMIT,
          chart,
          range: { from, to },
        },
        { title: 'Login Audit Trail', section: 'audit' },
      );
    } catch (e) {
      if (!isUserError(e)) throw e;
      error = e.message;
    }
    return render(
      req,
      reply,
      'audit',
      { q, detailCodes: DETAIL_CODES, events: [], more: false, chart: null, error },
      { title: 'Login Audit Trail', section: 'audit', status: 400 },
    );
  });
}
