/**
 * Setup > Company > Accounts: the signed-in account; from a production account, its sandboxes
 * and release preview (refresh a sandbox after a confirmation that says its M2M setup will be
 * cleared; sign in to one), and the forms that create them ("new sandbox" suggests the next
 * free number). The service decides who may (Administrator of the production account).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseAccountId } from '../../domain/account.ts';
import { forbidden, invalidInput } from '../../domain/errors.ts';
import { requireAdministrator } from '../../service/index.ts';
import { field } from '../body.ts';
import { BASE } from '../config.ts';
import { isUserError, statusOf } from '../errors.ts';
import { render } from '../render.ts';
import type { ConsoleEnv } from '../session.ts';
import { userOf } from './guard.ts';

const KIND_LABELS = {
  production: 'Production',
  sandbox: 'Sandbox',
  'release-preview': 'Release Preview',
} as const;

/** A sandbox of the signed-in production account, canonical; anything else is refused. */
function ownSandbox(
  req: FastifyRequest,
  input: string,
): { sandboxId: string; productionId: string } {
  const { actor } = userOf(req);
  const parsed = parseAccountId(input);
  if (parsed.kind !== 'sandbox' || parsed.parentId === null) {
    throw invalidInput(
      'account.not_sandbox',
      `${parsed.id} is a ${parsed.kind} account: only sandboxes (<production>_SB<n>) can be refreshed`,
    );
  }
  if (parsed.parentId !== actor.accountId) {
    throw forbidden(
      'permission.other_account',
      `${parsed.id} is not a sandbox of ${actor.accountId}, the account you are signed in to`,
    );
  }
  return { sandboxId: parsed.id, productionId: parsed.parentId };
}

export async function accountRoutes(
  app: FastifyInstance,
  opts: { env: ConsoleEnv },
): Promise<void> {
  const { records } = opts.env.services;

  async function page(
    req: FastifyRequest,
    reply: FastifyReply,
    extra: { error?: string; status?: number } = {},
  ): Promise<FastifyReply> {
    const { actor } = userOf(req);
    requireAdministrator(actor, actor.accountId);
    const account = await records.getAccount(actor, actor.accountId);
    const family =
      account.kind === 'production' ? await records.accountFamily(actor, account.id) : null;
    const q = req.query as Record<string, string | undefined>;
    const notice = q.created
      ? `Account ${q.created} was created. Its Administrator role has no users yet: run a sandbox refresh to copy this account's users into it.`
      : q.refreshed
        ? `Sandbox ${q.refreshed} was refreshed: its M2M setup is cleared.`
        : undefined;
    return render(
      req,
      reply,
      'accounts',
      {
        account,
        kindLabel: KIND_LABELS[account.kind],
        kindLabels: KIND_LABELS,
        related: family?.related ?? [],
        nextSandbox: family?.nextSandboxNumber ?? 1,
        ...(notice && !extra.error && { notice }),
        ...(extra.error && { error: extra.error }),
      },
      { title: 'Accounts', section: 'accounts', status: extra.status ?? 200 },
    );
  }

  app.get('/accounts', async (req, reply) => page(req, reply));

  app.post('/accounts', async (req, reply) => {
    const { actor } = userOf(req);
    const kind = field(req, 'kind');
    const id =
      kind === 'sandbox' ? `${actor.accountId}_SB${field(req, 'n')}` : `${actor.accountId}_RP`;
    try {
      const account = await records.createAccount(actor, { id, kind });
      return reply.redirect(`${BASE}/accounts?created=${encodeURIComponent(account.id)}`, 303);
    } catch (e) {
      if (!isUserError(e)) throw e;
      return page(req, reply, { error: e.message, status: statusOf(e) });
    }
  });

  app.get('/accounts/refresh', async (req, reply) => {
    const { actor } = userOf(req);
    requireAdministrator(actor, actor.accountId);
    const sandbox = String((req.query as Record<string, unknown>).sandbox ?? '');
    let ids: { sandboxId: string; productionId: string };
    try {
      ids = ownSandbox(req, sandbox);
    } catch (e) {
      if (!isUserError(e)) throw e;
      return page(req, reply, { error: e.message, status: statusOf(e) });
    }
    // Whether it exists is the refresh's to say (its not-found message names what to do).
    return render(req, reply, 'account-refresh', ids, {
      title: `Refresh ${ids.sandboxId}`,
      section: 'accounts',
    });
  });

  app.post('/accounts/:id/refresh', async (req, reply) => {
    const { actor } = userOf(req);
    const { id } = req.params as { id: string };
    const result = await records.refreshSandbox(actor, id);
    return reply.redirect(
      `${BASE}/accounts?refreshed=${encodeURIComponent(result.account.id)}`,
      303,
    );
  });
}
