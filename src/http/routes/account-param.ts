import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { sendError } from '../errors.ts';

/** The answer to a path naming no account (here and in token-route.ts). */
export const NO_SUCH_ACCOUNT = { error: 'not_found', message: 'no such account' } as const;

/** The account named in the path, or a 404 answer. Ids are matched exactly (canonical form). */
export async function resolveAccount(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<string | null> {
  const { accountId } = req.params as { accountId?: string };
  if (!accountId || accountId.length > 40 || !(await ctx.services.accountExists(accountId))) {
    await reply.code(404).send(NO_SUCH_ACCOUNT);
    return null;
  }
  return accountId;
}

export type AccountHandler = (
  accountId: string,
  req: FastifyRequest,
  reply: FastifyReply,
) => Promise<unknown>;

/**
 * A route of one account: 404 for an unknown account, then `fn`; anything it throws goes to the
 * one error serializer, with the account as realm. `scheme` is Basic for the OAuth endpoints
 * (client authentication, RFC 6749 §5.2), whose detail codes --explain-errors may reveal, and
 * Bearer for protected resources.
 */
export function inAccount(ctx: AppContext, scheme: 'Basic' | 'Bearer', fn: AccountHandler) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    let accountId: string | null = null;
    try {
      // Inside: an unavailable database while looking the account up gets this route's answer.
      accountId = await resolveAccount(ctx, req, reply);
      if (accountId === null) return reply;
      return await fn(accountId, req, reply);
    } catch (err) {
      const explain = scheme === 'Basic' && ctx.explainErrors;
      return sendError(reply, err, { realm: accountId, explain, scheme, log: req.log });
    }
  };
}
