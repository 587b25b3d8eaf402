/**
 * Server-side rendering with Eta, auto-escaping on: `<%= x %>` is always HTML-escaped and the
 * raw form `<%~ %>` is used only for the layout body and partials (our own markup). Every page
 * gets the signed-in user, the menu the role may see, and a CSRF token for its forms.
 */
import { join } from 'node:path';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseAccountId } from '../domain/account.ts';
import { roleHas } from '../domain/permissions.ts';
import { BASE } from './config.ts';
import type { ConsoleUser } from './session.ts';

const eta = new Eta({
  views: join(import.meta.dirname, 'views'),
  autoEscape: true,
  // Compiled once per process; set NODE_ENV=development to edit templates without restarting.
  cache: process.env.NODE_ENV !== 'development',
});

export interface Menu {
  integrations: boolean;
  m2m: boolean;
  audit: boolean;
  administrator: boolean;
}

/** What the menu shows; the server still checks every page and action itself. */
export function menuFor(user: ConsoleUser | null | undefined): Menu {
  if (!user) return { integrations: false, m2m: false, audit: false, administrator: false };
  const r = user.role;
  const manage = roleHas(r, 'oauth2_authorized_apps_management');
  return {
    integrations: manage || roleHas(r, 'integration_application'),
    m2m: manage,
    audit: manage,
    administrator: r.id === 3,
  };
}

/**
 * The banner of every page of a sandbox or release preview: which account this is, so nobody
 * takes it for production (null in production).
 */
export function accountBanner(
  accountId: string,
): { kind: string; id: string; parentId: string } | null {
  const parsed = parseAccountId(accountId);
  if (parsed.parentId === null) return null;
  const kind = parsed.kind === 'sandbox' ? 'Sandbox' : 'Release Preview';
  return { kind, id: parsed.id, parentId: parsed.parentId };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Date and time formatting in UTC (the server's clock, not the viewer's locale). */
export const fmt = {
  date(ms: number | null): string {
    if (ms === null) return '';
    const d = new Date(ms);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  },
  time(ms: number | null): string {
    if (ms === null) return '';
    const d = new Date(ms);
    return `${fmt.date(ms)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  },
  /** For <input type="datetime-local"> (UTC). */
  local(ms: number | null): string {
    if (ms === null) return '';
    return fmt.time(ms).slice(0, 16).replace(' ', 'T');
  },
};

export interface RenderOptions {
  status?: number;
  title: string;
  /** Menu key of the current page, to highlight it. */
  section?: string;
}

export function render(
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  data: Record<string, unknown>,
  opts: RenderOptions,
): FastifyReply {
  const user = req.consoleUser ?? null;
  const html = eta.render(view, {
    ...data,
    base: BASE,
    title: opts.title,
    section: opts.section ?? '',
    csrf: reply.generateCsrf(),
    user: user && {
      name: user.entity.name,
      email: user.entity.email,
      accountId: user.actor.accountId,
      roleName: user.role.name,
    },
    menu: menuFor(user),
    banner: user ? accountBanner(user.actor.accountId) : null,
    fmt,
  });
  return reply
    .code(opts.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(html);
}
