/**
 * Setup > Users/Roles: entities (list, create, details, roles, console password) and roles
 * (list, create, permissions). All Administrator-level in the service layer, which refuses
 * every other role; ids in URLs are looked up within the signed-in account only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENTITY_TYPES } from '../../domain/entity.ts';
import { ALL_PERMISSIONS, PERMISSIONS, type Role } from '../../domain/permissions.ts';
import { requireAdministrator } from '../../service/index.ts';
import { field, fieldList, rawField } from '../body.ts';
import { BASE } from '../config.ts';
import { isUserError, statusOf } from '../errors.ts';
import { render } from '../render.ts';
import type { ConsoleEnv } from '../session.ts';
import { userOf } from './guard.ts';

const PERMISSION_OPTIONS = ALL_PERMISSIONS.map((id) => ({ id, label: PERMISSIONS[id] }));

const ENTITY_NOTICES: Record<string, string> = {
  created: 'The entity was created.',
  saved: 'The details were saved.',
  assigned: 'The role was assigned.',
  removed: 'The role was removed.',
  password: 'The console password was set.',
  two_factor: 'Two-factor authentication was reset: the user enrols again at the next sign-in.',
};

interface RoleForm {
  name: string;
  active: boolean;
  permissions: string[];
}

export async function peopleRoutes(app: FastifyInstance, opts: { env: ConsoleEnv }): Promise<void> {
  const { records } = opts.env.services;
  const { auth } = opts.env;

  async function entityPage(
    req: FastifyRequest,
    reply: FastifyReply,
    id: string,
    extra: { error?: string; status?: number } = {},
  ): Promise<FastifyReply> {
    const { actor } = userOf(req);
    const entity = await records.getEntity(actor, actor.accountId, id);
    const roles = await records.listRoles(actor, actor.accountId);
    const twoFactor = await auth.twoFactorStatus(actor, actor.accountId, entity.id);
    const notice = ENTITY_NOTICES[String((req.query as Record<string, unknown>).done)];
    return render(
      req,
      reply,
      'entity',
      {
        entity,
        types: ENTITY_TYPES,
        held: roles.filter((r) => entity.roleIds.includes(r.id)),
        assignable: roles.filter((r) => r.active && !entity.roleIds.includes(r.id)),
        // Whether enrolled, never the secret itself.
        twoFactor,
        ...(notice && !extra.error && { notice }),
        ...(extra.error && { error: extra.error }),
      },
      { title: entity.name, section: 'entities', status: extra.status ?? 200 },
    );
  }

  /** Runs an entity action; a refusal the user can fix is shown on the entity page. */
  async function entityAction(
    req: FastifyRequest,
    reply: FastifyReply,
    done: string,
    action: (id: string) => Promise<unknown>,
  ): Promise<FastifyReply> {
    const { id } = req.params as { id: string };
    try {
      await action(id);
    } catch (e) {
      if (!isUserError(e) || e.kind === 'not_found') throw e;
      return entityPage(req, reply, id, { error: e.message, status: statusOf(e) });
    }
    return reply.redirect(`${BASE}/entities/${encodeURIComponent(id)}?done=${done}`, 303);
  }

  app.get('/entities', async (req, reply) => {
    const { actor } = userOf(req);
    const [entities, roles] = await Promise.all([
      records.listEntities(actor, actor.accountId),
      records.listRoles(actor, actor.accountId),
    ]);
    const names = new Map(roles.map((r) => [r.id, r.name]));
    return render(
      req,
      reply,
      'entities',
      {
        entities: entities.map((e) => ({
          ...e,
          roleNames: e.roleIds.map((id) => names.get(id) ?? `role ${id}`),
        })),
      },
      { title: 'Manage Users', section: 'entities' },
    );
  });

  const newEntityPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    form: { name: string; email: string; type: string; roles: string[] },
    error?: string,
    status = 200,
  ) => {
    const { actor } = userOf(req);
    const roles = await records.listRoles(actor, actor.accountId);
    return render(
      req,
      reply,
      'entity-new',
      { form, roles, types: ENTITY_TYPES, ...(error && { error }) },
      { title: 'New entity', section: 'entities', status },
    );
  };

  app.get('/entities/new', async (req, reply) =>
    newEntityPage(req, reply, { name: '', email: '', type: 'employee', roles: [] }),
  );

  app.post('/entities', async (req, reply) => {
    const { actor } = userOf(req);
    const form = {
      name: field(req, 'name'),
      email: field(req, 'email'),
      type: field(req, 'type') || 'employee',
      roles: fieldList(req, 'role'),
    };
    const password = rawField(req, 'password');
    try {
      const entity = await records.createEntity(actor, {
        accountId: actor.accountId,
        name: form.name,
        email: form.email === '' ? null : form.email,
        type: form.type,
        ...(password !== '' && { password }),
      });
      for (const roleId of form.roles) {
        await records.assignRole(actor, {
          accountId: actor.accountId,
          entityId: entity.id,
          roleId,
        });
      }
      return reply.redirect(`${BASE}/entities/${entity.id}?done=created`, 303);
    } catch (e) {
      if (!isUserError(e)) throw e;
      return newEntityPage(req, reply, form, e.message, statusOf(e));
    }
  });

  app.get('/entities/:id', async (req, reply) =>
    entityPage(req, reply, (req.params as { id: string }).id),
  );

  app.post('/entities/:id', async (req, reply) => {
    const { actor } = userOf(req);
    return entityAction(req, reply, 'saved', (id) =>
      records.updateEntity(actor, actor.accountId, id, {
        name: field(req, 'name'),
        email: field(req, 'email') === '' ? null : field(req, 'email'),
        type: field(req, 'type'),
        active: field(req, 'active') === '1',
      }),
    );
  });

  app.post('/entities/:id/roles', async (req, reply) => {
    const { actor } = userOf(req);
    if (field(req, 'role') === '') {
      const { id } = req.params as { id: string };
      return entityPage(req, reply, id, { error: 'Choose the role to assign.', status: 400 });
    }
    return entityAction(req, reply, 'assigned', (entityId) =>
      records.assignRole(actor, {
        accountId: actor.accountId,
        entityId,
        roleId: field(req, 'role'),
      }),
    );
  });

  app.post('/entities/:id/roles/:roleId/remove', async (req, reply) => {
    const { actor } = userOf(req);
    const { roleId } = req.params as { roleId: string };
    return entityAction(req, reply, 'removed', (entityId) =>
      records.unassignRole(actor, { accountId: actor.accountId, entityId, roleId }),
    );
  });

  // Both resets are authorised, audited and end the user's sessions in the service.
  app.post('/entities/:id/password', async (req, reply) => {
    const { actor } = userOf(req);
    return entityAction(req, reply, 'password', (entityId) =>
      auth.setPassword(actor, {
        accountId: actor.accountId,
        entityId,
        password: rawField(req, 'password'),
      }),
    );
  });

  // Lost device: the enrolment is cleared; the user enrols again at the next sign-in.
  app.post('/entities/:id/two-factor/reset', async (req, reply) => {
    const { actor } = userOf(req);
    return entityAction(req, reply, 'two_factor', (id) =>
      auth.resetTwoFactor(actor, actor.accountId, id),
    );
  });

  // Roles

  const roleFormPage = (
    req: FastifyRequest,
    reply: FastifyReply,
    data: { form: RoleForm; action: string; error?: string },
    title: string,
    status = 200,
  ) =>
    render(
      req,
      reply,
      'role-form',
      { ...data, permissions: PERMISSION_OPTIONS },
      { title, section: 'roles', status },
    );

  const roleFormOf = (req: FastifyRequest): RoleForm => ({
    name: field(req, 'name'),
    active: field(req, 'active') === '1',
    permissions: fieldList(req, 'permission'),
  });

  const labelled = (r: Role) => ({
    ...r,
    permissionLabels: r.permissions.map((p) => PERMISSIONS[p]),
  });

  app.get('/roles', async (req, reply) => {
    const { actor } = userOf(req);
    const roles = await records.listRoles(actor, actor.accountId);
    const saved = (req.query as Record<string, unknown>).saved === '1';
    return render(
      req,
      reply,
      'roles',
      { roles: roles.map(labelled), ...(saved && { notice: 'The role was saved.' }) },
      { title: 'Manage Roles', section: 'roles' },
    );
  });

  app.get('/roles/new', async (req, reply) => {
    const { actor } = userOf(req);
    requireAdministrator(actor, actor.accountId);
    return roleFormPage(
      req,
      reply,
      { form: { name: '', active: true, permissions: [] }, action: `${BASE}/roles` },
      'New role',
    );
  });

  app.post('/roles', async (req, reply) => {
    const { actor } = userOf(req);
    const form = roleFormOf(req);
    try {
      await records.createRole(actor, {
        accountId: actor.accountId,
        name: form.name,
        active: form.active,
        permissions: form.permissions,
      });
      return reply.redirect(`${BASE}/roles?saved=1`, 303);
    } catch (e) {
      if (!isUserError(e)) throw e;
      const data = { form, action: `${BASE}/roles`, error: e.message };
      return roleFormPage(req, reply, data, 'New role', statusOf(e));
    }
  });

  app.get('/roles/:id/edit', async (req, reply) => {
    const { actor } = userOf(req);
    const role = await records.getRole(actor, actor.accountId, (req.params as { id: string }).id);
    const form = { name: role.name, active: role.active, permissions: [...role.permissions] };
    return roleFormPage(
      req,
      reply,
      { form, action: `${BASE}/roles/${role.id}` },
      `Edit role: ${role.name}`,
    );
  });

  app.post('/roles/:id', async (req, reply) => {
    const { actor } = userOf(req);
    const { id } = req.params as { id: string };
    const form = roleFormOf(req);
    try {
      await records.updateRole(actor, actor.accountId, id, form);
      return reply.redirect(`${BASE}/roles?saved=1`, 303);
    } catch (e) {
      if (!isUserError(e) || e.kind === 'not_found') throw e;
      const data = { form, action: `${BASE}/roles/${encodeURIComponent(id)}`, error: e.message };
      return roleFormPage(req, reply, data, 'Edit role', statusOf(e));
    }
  });
}
