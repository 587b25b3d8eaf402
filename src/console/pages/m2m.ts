/**
 * Setup > Integration > Manage Authentication > OAuth 2.0 Client Credentials (M2M) Setup.
 * The list (with a filter and a banner for certificates about to expire), Create New (a dialog
 * on the list page; a plain page without JavaScript) and Revoke (a confirmation page). Every
 * action is a service call with the signed-in actor: the service checks the permission, the
 * account and the certificate policy, and writes nothing when it refuses; the refusal's message
 * is shown in the dialog, with the entity, role and application still chosen. A new mapping's
 * warnings reach the page after the redirect through the session's one-time flash.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { field, fileField, normalizeBody } from '../body.ts';
import { BASE, MAX_UPLOAD_BYTES } from '../config.ts';
import { consoleErrorHandler, isUserError, statusOf } from '../errors.ts';
import { render } from '../render.ts';
import { type ConsoleEnv, sessionIdOf } from '../session.ts';
import { userOf } from './guard.ts';
import { counts, filterRows, formOptions, rowsOf, showOf } from './m2m-view.ts';

interface FormValues {
  entity: string;
  role: string;
  integration: string;
}

const EMPTY_FORM: FormValues = { entity: '', role: '', integration: '' };

interface Extra {
  formError?: string;
  form?: FormValues;
  status?: number;
}

/** What the Create New form picks from; the service decides who may see it. */
async function formRecords(env: ConsoleEnv, req: FastifyRequest) {
  const { actor } = userOf(req);
  const { records } = env.services;
  const [integrations, choices] = await Promise.all([
    records.listIntegrations(actor, actor.accountId),
    records.mappingChoices(actor, actor.accountId),
  ]);
  return formOptions(integrations, choices);
}

/** The notice after a create or revoke; the warnings of a create come from the flash. */
async function noticeOf(env: ConsoleEnv, req: FastifyRequest) {
  const q = req.query as Record<string, string | undefined>;
  if (q.created) {
    const flash = await env.auth.takeFlash(sessionIdOf(env, req));
    const warnings =
      flash?.kind === 'mapping_created' && flash.certificateId === q.created ? flash.warnings : [];
    return { created: q.created, warnings };
  }
  if (q.revoked) return { revoked: q.revoked };
  return {};
}

async function listPage(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  extra: Extra = {},
): Promise<FastifyReply> {
  const { actor } = userOf(req);
  const mappings = await env.services.records.listMappings(actor, actor.accountId);
  const form = await formRecords(env, req);
  const all = rowsOf(mappings, env.services.clock.now());
  const show = showOf((req.query as Record<string, unknown>).show);
  const notice = extra.formError ? {} : await noticeOf(env, req);
  return render(
    req,
    reply,
    'm2m',
    {
      rows: filterRows(all, show),
      show,
      counts: counts(all),
      ...form,
      form: extra.form ?? EMPTY_FORM,
      ...(extra.formError && { formError: extra.formError }),
      notice,
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
  extra: Extra = {},
): Promise<FastifyReply> {
  const form = await formRecords(env, req);
  return render(
    req,
    reply,
    'm2m-new',
    {
      ...form,
      form: extra.form ?? EMPTY_FORM,
      ...(extra.formError && { formError: extra.formError }),
    },
    { title: 'New M2M mapping', section: 'm2m', status: extra.status ?? 200 },
  );
}

/** The text fields of the upload form (multipart: parsed before the file). */
const formValuesOf = (req: FastifyRequest): FormValues => ({
  entity: field(req, 'entity'),
  role: field(req, 'role'),
  integration: field(req, 'integration'),
});

/**
 * The upload was too big for the multipart limits: say so in the dialog, like a policy refusal,
 * with the choices kept (the form puts its text fields before the file, so they were read).
 */
function uploadErrorHandler(env: ConsoleEnv) {
  return async (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const tooLarge = err.code === 'FST_REQ_FILE_TOO_LARGE' || err.code === 'FST_FILES_LIMIT';
    if (!tooLarge || !req.consoleUser) return consoleErrorHandler(err, req, reply);
    // The reader stopped at the file: the body holds the fields read before it.
    await normalizeBody(req);
    const formError =
      err.code === 'FST_FILES_LIMIT'
        ? 'Upload one certificate file at a time.'
        : `The file is larger than ${MAX_UPLOAD_BYTES / 1024} KiB, so it cannot be a certificate: ` +
          'upload only the public certificate (.cer, .pem or .crt).';
    const again = field(req, 'view') === 'page' ? newPage : listPage;
    return again(env, req, reply, { formError, form: formValuesOf(req), status: 413 });
  };
}

export async function m2mRoutes(app: FastifyInstance, opts: { env: ConsoleEnv }): Promise<void> {
  const { env } = opts;
  const { records } = env.services;

  app.get('/m2m', async (req, reply) => listPage(env, req, reply));
  app.get('/m2m/new', async (req, reply) => newPage(env, req, reply));

  app.post('/m2m', { errorHandler: uploadErrorHandler(env) }, async (req, reply) => {
    const user = userOf(req);
    const form = formValuesOf(req);
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
      await env.auth.setFlash(sessionIdOf(env, req), {
        kind: 'mapping_created',
        certificateId: mapping.certificateId,
        warnings: mapping.warnings,
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
    const m = rowsOf(mappings, env.services.clock.now()).find(
      (x) => x.certificateId === certificateId,
    );
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
