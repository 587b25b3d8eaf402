/**
 * Setup > Integration > Manage Integrations: list, create, edit (name, state, M2M grant,
 * scopes, mTLS binding). A create redirects (POST/redirect/GET) to the new record's page, which shows the
 * client secret once: it travels in the session's sealed one-time flash, never in a URL, and is
 * gone after that page was shown (a reload shows the record without it; pages are never cached).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DpopMode, Integration } from '../../domain/integration.ts';
import { roleHas } from '../../domain/permissions.ts';
import { SCOPES, type Scope } from '../../domain/scope.ts';
import { requireAnyPermission } from '../../service/index.ts';
import { field, fieldList } from '../body.ts';
import { BASE } from '../config.ts';
import { isUserError, statusOf } from '../errors.ts';
import { render } from '../render.ts';
import { type ConsoleEnv, sessionIdOf } from '../session.ts';
import { userOf } from './guard.ts';

const SCOPE_LABELS: Record<Scope, string> = {
  restlets: 'RESTlets',
  rest_webservices: 'REST Web Services',
  suite_analytics: 'SuiteAnalytics Connect',
};
const SCOPE_OPTIONS = SCOPES.map((id) => ({ id, label: SCOPE_LABELS[id] }));

interface IntegrationForm {
  name: string;
  state: string;
  m2m: boolean;
  scopes: string[];
  /** RFC 8705 binding: off | allowed | required ('' when the form did not send it). */
  mtlsBinding: string;
  dpop: string;
}

const MTLS_OPTIONS = [
  { id: 'off', label: 'Off: bearer tokens' },
  { id: 'allowed', label: 'Allowed: bound when the mapped certificate is on the connection' },
  { id: 'required', label: 'Required: token requests need the mapped certificate' },
];

/** The integration list's DPoP column. */
const DPOP_LABELS: Record<DpopMode, string> = {
  off: 'Off',
  allowed: 'Allowed',
  required: 'Required',
};

const formOf = (req: FastifyRequest): IntegrationForm => ({
  name: field(req, 'name'),
  state: field(req, 'state') || 'enabled',
  m2m: field(req, 'm2m') === '1',
  scopes: fieldList(req, 'scope'),
  mtlsBinding: field(req, 'mtls_binding'),
  dpop: field(req, 'dpop'),
});

/** Sent only when the form had the field: an older form must not reset a mode to off. */
const senderModesOf = (form: IntegrationForm) => ({
  ...(form.mtlsBinding === '' ? {} : { mtlsBinding: form.mtlsBinding }),
  ...(form.dpop === '' ? {} : { dpop: form.dpop }),
});

const formFromRecord = (i: Integration): IntegrationForm => ({
  name: i.name,
  state: i.state,
  m2m: i.m2mGrant,
  scopes: [...i.scopes],
  mtlsBinding: i.mtlsBinding,
  dpop: i.dpop,
});

function formPage(
  req: FastifyRequest,
  reply: FastifyReply,
  data: { form: IntegrationForm; action: string; clientId?: string; error?: string },
  title: string,
  status = 200,
): FastifyReply {
  return render(
    req,
    reply,
    'integration-form',
    { ...data, scopes: SCOPE_OPTIONS, mtlsOptions: MTLS_OPTIONS },
    { title, section: 'integrations', status },
  );
}

function createdPage(
  req: FastifyRequest,
  reply: FastifyReply,
  integration: Integration,
  clientSecret: string | null,
): FastifyReply {
  return render(
    req,
    reply,
    'integration-created',
    { integration, clientSecret },
    { title: `Integration created: ${integration.name}`, section: 'integrations' },
  );
}

export async function integrationRoutes(
  app: FastifyInstance,
  opts: { env: ConsoleEnv },
): Promise<void> {
  const { env } = opts;
  const { records } = env.services;

  app.get('/integrations', async (req, reply) => {
    const user = userOf(req);
    const integrations = await records.listIntegrations(user.actor, user.actor.accountId);
    const q = req.query as Record<string, string | undefined>;
    return render(
      req,
      reply,
      'integrations',
      {
        integrations,
        // Editing needs Integration Application; the service refuses it otherwise anyway.
        canEdit: roleHas(user.role, 'integration_application'),
        dpopLabels: DPOP_LABELS,
        ...(q.saved && { notice: 'The integration record was saved.' }),
      },
      { title: 'Manage Integrations', section: 'integrations' },
    );
  });

  app.get('/integrations/new', async (req, reply) => {
    const user = userOf(req);
    // The form itself is refused to a role that may not create (the create's own check).
    requireAnyPermission(user.actor, user.actor.accountId, ['integration_application']);
    return formPage(
      req,
      reply,
      {
        form: {
          name: '',
          state: 'enabled',
          m2m: true,
          scopes: ['restlets', 'rest_webservices'],
          mtlsBinding: 'off',
          dpop: 'off',
        },
        action: `${BASE}/integrations`,
      },
      'New integration',
    );
  });

  app.post('/integrations', async (req, reply) => {
    const user = userOf(req);
    const form = formOf(req);
    try {
      const created = await records.createIntegration(user.actor, {
        accountId: user.actor.accountId,
        name: form.name,
        state: form.state,
        m2mGrant: form.m2m,
        scopes: form.scopes,
        ...senderModesOf(form),
      });
      const kept = await env.auth.setFlash(sessionIdOf(env, req), {
        kind: 'integration_created',
        integrationId: created.integration.id,
        clientSecret: created.clientSecret,
      });
      if (!kept) {
        // The session ended meanwhile: this answer is the secret's only showing.
        return createdPage(req, reply, created.integration, created.clientSecret);
      }
      return reply.redirect(`${BASE}/integrations/${created.integration.id}/created`, 303);
    } catch (e) {
      if (!isUserError(e)) throw e;
      return formPage(
        req,
        reply,
        { form, action: `${BASE}/integrations`, error: e.message },
        'New integration',
        statusOf(e),
      );
    }
  });

  // The page after a create: the secret if this session's flash holds it, else the record only.
  app.get('/integrations/:id/created', async (req, reply) => {
    const user = userOf(req);
    const { id } = req.params as { id: string };
    const integration = await records.getIntegration(user.actor, user.actor.accountId, id);
    const flash = await env.auth.takeFlash(sessionIdOf(env, req));
    const secret =
      flash?.kind === 'integration_created' && flash.integrationId === integration.id
        ? flash.clientSecret
        : null;
    return createdPage(req, reply, integration, secret);
  });

  app.get('/integrations/:id/edit', async (req, reply) => {
    const user = userOf(req);
    const { id } = req.params as { id: string };
    const i = await records.getIntegration(user.actor, user.actor.accountId, id);
    return formPage(
      req,
      reply,
      {
        form: formFromRecord(i),
        action: `${BASE}/integrations/${i.id}`,
        clientId: i.clientId,
      },
      `Edit integration: ${i.name}`,
    );
  });

  app.post('/integrations/:id', async (req, reply) => {
    const user = userOf(req);
    const { id } = req.params as { id: string };
    const form = formOf(req);
    try {
      await records.updateIntegration(user.actor, user.actor.accountId, id, {
        name: form.name,
        state: form.state,
        m2mGrant: form.m2m,
        scopes: form.scopes,
        ...senderModesOf(form),
      });
      return reply.redirect(`${BASE}/integrations?saved=1`, 303);
    } catch (e) {
      if (!isUserError(e) || e.code === 'integration.not_found') throw e;
      return formPage(
        req,
        reply,
        { form, action: `${BASE}/integrations/${encodeURIComponent(id)}`, error: e.message },
        'Edit integration',
        statusOf(e),
      );
    }
  });
}
