import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';

/** The account named in the path, or a 404 answer. Ids are matched exactly (canonical form). */
export async function resolveAccount(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<string | null> {
  const { accountId } = req.params as { accountId?: string };
  if (!accountId || accountId.length > 40 || !(await ctx.cache.account(accountId))) {
    await reply.code(404).send({ error: 'not_found', message: 'no such account' });
    return null;
  }
  return accountId;
}
