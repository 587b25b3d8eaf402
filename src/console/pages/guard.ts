/**
 * Pages that need a signed-in user. Without one the browser is sent to the step of the sign-in
 * it is at (sign-in, choose role, two-factor); the page itself never runs.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BASE } from '../config.ts';
import type { ConsoleUser } from '../session.ts';

export async function requireSignedIn(
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (req.consoleUser) return undefined;
  const stage = req.consoleSession?.stage;
  const to =
    stage === 'two_factor' ? '/login/two-factor' : stage === 'choose' ? '/login/choose' : '/login';
  return reply.redirect(`${BASE}${to}`, 303);
}

/** The signed-in user of a page behind requireSignedIn. */
export function userOf(req: FastifyRequest): ConsoleUser {
  const user = req.consoleUser;
  if (!user) throw new Error('console page reached without a signed-in user');
  return user;
}
