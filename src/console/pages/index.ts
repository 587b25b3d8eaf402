/** Every page behind sign-in, registered in one context with the sign-in guard. */
import type { FastifyInstance } from 'fastify';
import { render } from '../render.ts';
import type { ConsoleEnv } from '../session.ts';
import { accountRoutes } from './accounts.ts';
import { auditRoutes } from './audit.ts';
import { requireSignedIn, userOf } from './guard.ts';
import { integrationRoutes } from './integrations.ts';
import { m2mRoutes } from './m2m.ts';
import { peopleRoutes } from './people.ts';

export async function protectedRoutes(
  app: FastifyInstance,
  opts: { env: ConsoleEnv },
): Promise<void> {
  const { env } = opts;
  app.addHook('preHandler', requireSignedIn);

  app.get('/', async (req, reply) => {
    const user = userOf(req);
    let notice: string | undefined;
    if ((req.query as Record<string, unknown>).notice === 'recovery') {
      const left = await env.auth.recoveryCodesLeft(user.actor);
      notice = `You signed in with a recovery code. ${left} recovery codes are left.`;
    }
    return render(req, reply, 'home', notice ? { notice } : {}, { title: 'Home', section: 'home' });
  });

  for (const routes of [m2mRoutes, integrationRoutes, peopleRoutes, auditRoutes, accountRoutes]) {
    await routes(app, { env });
  }
}
