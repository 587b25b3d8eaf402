/**
 * Setup > Integration > Manage Authentication > OAuth 2.0 Client Credentials (M2M) Setup.
 * The list, Create New (a dialog on the list page; a plain page without JavaScript) and Revoke
 * (a confirmation page). Every action is a service call with the signed-in actor: the service
 * checks the permission, the account and the certificate policy, and writes nothing when it
 * refuses; the refusal's message is shown in the dialog.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MappingView } from '../../service/index.ts';
import { field, fileField } from '../body.ts';
import { BASE, MAX_UPLOAD_BYTES } from '../config.ts';
import { consoleErrorHandler, isForbidden, isUserError, statusOf } from '../errors.ts';
import { render } from '../render.ts';
import type { ConsoleEnv, ConsoleUser } from '../session.ts';
import { userOf } from './guard.ts';

interface FormValues {
  entity: string;
  role: string;
  integration: string;
}

const EMPTY_FORM: FormValues = { entity: '', role: '', integration: '' };

/**
 * Entities and roles are Administrator-level records in the service layer. A role with only
 * the M2M permission gets null here and the form asks for the ids instead of listing names.
 */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (isForbidden(e)) return null;
    throw e;
  }
}

/** What the Create New form picks from (entities and roles only for an Administrator). */
async function formRecords(env: ConsoleEnv, user: ConsoleUser) {
  const { records } = env.services;
  const { accountId } = user.actor;
  const [integrations, entities, roles] = await Promise.all([
    records.listIntegrations(user.actor, accountId),
    orNull(records.listEntities(user.actor, accountId)),
    orNull(records.listRoles(user.actor, accountId)),
  ]);
  return { integrations, entities, roles };
}

/** What the Create New form offers: M2M integrations, active entities and their active roles. */
function formOptions(r: Awaited<ReturnType<typeof formRecords>>) {
  const activeRoles = (r.roles ?? []).filter((x) => x.active);
  const activeIds = new Set(activeRoles.map((x) => x.id));
  return {
    integrations: r.integrations.filter((i) => i.m2mGrant),
    entities:
      r.entities === null || r.roles === null
        ? null
        : r.entities
            .filter((e) => e.active)
            .map((e) => ({
              id: e.id,
              name: e.name,
              email: e.email,
              roles: e.roleIds.filter((id) => activeIds.has(id)).join(' '),
            })),
    roles: activeRoles,
  };
}

function rowsOf(mappings: readonly MappingView[]) {
  return [...mappings]
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((m) => ({
      ...m,
      application: m.integrationName ?? `integration ${m.integrationId}`,
      entity: m.entityName ?? `entity ${m.entityId}`,
      role: m.roleName ?? `role ${m.roleId}`,
      keyInfo: m.curve ?? `${m.keySize} bits`,
      rowClass:
        m.status === 'revoked'
          ? 'revoked'
          : m.status === 'expired'
            ? 'expired'
            : m.expiresSoon
              ? 'soon'
              : '',
    }));
}

function noticeOf(q: Record<string, string | undefined>): string | undefined {
  if (q.created) return `Certificate ${q.created} is mapped. Clients can now use it as their kid.`;
  if (q.revoked) return `Certificate ${q.revoked} is revoked.`;
  return undefined;
}

async function listPage(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  extra: { formError?: string; form?: FormValues; status?: number } = {},
): Promise<FastifyReply> {
  const user = userOf(req);
  const mappings = await env.services.records.listMappings(user.actor, user.actor.accountId);
  const r = await formRecords(env, user);
  const notice = noticeOf(req.query as Record<string, string | undefined>);
  return render(
    req,
    reply,
    'm2m',
    {
      rows: rowsOf(mappings),
      ...formOptions(r),
      form: extra.form ?? EMPTY_FORM,
      ...(extra.formError && { formError: extra.formError }),
      ...(notice && !extra.formError && { notice }),
    },
    {
      title: 'OAuth 2.0 Client Credentials (M2M) Setup',
      section: 'm2m',
      status: extra.status ?? 200,
    },
  );
}

async function newPage(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  extra: { formError?: string; form?: FormValues; status?: number } = {},
): Promise<FastifyReply> {
  const user = userOf(req);
  // Same permission as the list: the page must not show records to someone who may not map.
  await env.services.records.listMappings(user.actor, user.actor.accountId);
  const r = await formRecords(env, user);
  return render(
    req,
    reply,
    'm2m-new',
    {
      ...formOptions(r),
      form: extra.form ?? EMPTY_FORM,
      ...(extra.formError && { formError: extra.formError }),
    },
    { title: 'New M2M mapping', section: 'm2m', status: extra.status ?? 200 },
  );
}

/** The upload was too big for the multipart limits: say so in the dialog, like a policy refusal. */
function uploadErrorHandler(env: ConsoleEnv) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const tooLarge = err.code === 'FST_REQ_FILE_TOO_LARGE' || err.code === 'FST_FILES_LIMIT';
    if (!tooLarge || !req.consoleUser) return consoleErrorHandler(err, req, reply);
    const formError =
      err.code === 'FST_FILES_LIMIT'
        ? 'Upload one certificate file at a time.'
        : `The file is larger than ${MAX_UPLOAD_BYTES / 1024} KiB, so it cannot be a certificate: ` +
          'upload only the public certificate (.cer, .pem or .crt).';
    return listPage(env, req, reply, { formError, status: 413 });
  };
}

export async function m2mRoutes(app: FastifyInstance, opts: { env: ConsoleEnv }): Promise<void> {
  const { env } = opts;
  const { records } = env.services;

  app.get('/m2m', async (req, reply) => listPage(env, req, reply));
  app.get('/m2m/new', async (req, reply) => newPage(env, req, reply));

  app.post('/m2m', { errorHandler: uploadErrorHandler(env) }, async (req, reply) => {
    const user = userOf(req);
    const form: FormValues = {
      entity: field(req, 'entity'),
      role: field(req, 'role'),
      integration: field(req, 'integration'),
    };
    const again = field(req, 'view') === 'page' ? newPage : listPage;
    const file = fileField(req, 'certificate');
    if (!file || file.filename === '') {
      const formError = 'Choose the certificate file (.cer, .pem or .crt) to upload.';
      return again(env, req, reply, { formError, form, status: 400 });
    }
    try {
      const mapping = await records.createMapping(user.actor, {
        accountId: user.actor.accountId,
        clientId: form.integration,
        entityId: form.entity,
        roleId: form.role,
        certificate: await file.toBuffer(),
        fileName: file.filename,
      });
      return reply.redirect(
        `${BASE}/m2m?created=${encodeURIComponent(mapping.certificateId)}`,
        303,
      );
    } catch (e) {
      if (!isUserError(e)) throw e;
      return again(env, req, reply, { formError: e.message, form, status: statusOf(e) });
    }
  });

  app.get('/m2m/:certificateId/revoke', async (req, reply) => {
    const user = userOf(req);
    const { certificateId } = req.params as { certificateId: string };
    const mappings = await records.listMappings(user.actor, user.actor.accountId);
    const m = rowsOf(mappings).find((x) => x.certificateId === certificateId);
    if (!m) {
      return render(
        req,
        reply,
        'error',
        { status: 404, message: `No certificate ${certificateId} is mapped in this account.` },
        { title: 'Not found', status: 404 },
      );
    }
    if (m.revokedAt !== null) return reply.redirect(`${BASE}/m2m`, 303);
    return render(req, reply, 'm2m-revoke', { m }, { title: 'Revoke certificate', section: 'm2m' });
  });

  app.post('/m2m/:certificateId/revoke', async (req, reply) => {
    const user = userOf(req);
    const { certificateId } = req.params as { certificateId: string };
    const m = await records.revokeMapping(user.actor, user.actor.accountId, certificateId);
    return reply.redirect(`${BASE}/m2m?revoked=${encodeURIComponent(m.certificateId)}`, 303);
  });
}
