/**
 * Integration records (NetSuite: Setup > Integration > Manage Integrations). Creating one
 * returns its client secret exactly once; only a hash is stored. Needs Administrator or the
 * `integration_application` permission; reading also with `oauth2_authorized_apps_management`
 * (whoever maps certificates must be able to pick the integration).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { invalidInput, notFound } from '../../domain/errors.ts';
import {
  CLIENT_ID_PATTERN,
  DPOP_MODES,
  type DpopMode,
  type Integration,
  type IntegrationState,
  isMtlsBinding,
  MTLS_BINDING_MODES,
  type MtlsBinding,
} from '../../domain/integration.ts';
import { parseScopeList, type Scope } from '../../domain/scope.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { permittedAccount } from './access.ts';
import { auditChange } from './admin-audit.ts';
import { booleanOf, idOf, nameOf } from './validate.ts';

const STATES: readonly IntegrationState[] = ['enabled', 'blocked'];
const WRITE = ['integration_application'] as const;
const READ = ['integration_application', 'oauth2_authorized_apps_management'] as const;

/**
 * SHA-256 hex of a client secret. A fast hash is safe here (unlike passwords, which use scrypt)
 * because the secret is 256 random bits: there is no dictionary to try, so slowing each guess
 * down buys nothing.
 */
export const hashClientSecret = (secret: string): string =>
  createHash('sha256').update(secret, 'utf8').digest('hex');

/** Constant-time comparison of a presented secret with a stored hash. */
export function verifyClientSecret(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashClientSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

function stateOf(input: unknown): IntegrationState {
  if (typeof input !== 'string' || !(STATES as readonly string[]).includes(input)) {
    throw invalidInput(
      'integration.invalid_state',
      `unknown integration state "${String(input).slice(0, 30)}": use enabled or blocked`,
    );
  }
  return input as IntegrationState;
}

function mtlsBindingOf(input: unknown): MtlsBinding {
  if (!isMtlsBinding(input)) {
    throw invalidInput(
      'integration.invalid_mtls_binding',
      `unknown mTLS binding "${String(input).slice(0, 30)}": use ${MTLS_BINDING_MODES.join(', ')}`,
    );
  }
  return input;
}

function dpopOf(input: unknown): DpopMode {
  if (typeof input !== 'string' || !(DPOP_MODES as readonly string[]).includes(input)) {
    throw invalidInput(
      'integration.invalid_dpop',
      `unknown DPoP mode "${String(input).slice(0, 30)}": use off, allowed or required`,
    );
  }
  return input as DpopMode;
}

function scopesOf(input: unknown): Scope[] {
  if (typeof input !== 'string' && !Array.isArray(input)) {
    throw invalidInput('scope.unknown', 'scopes must be a list such as restlets,rest_webservices');
  }
  return parseScopeList(input as string | string[]);
}

/** NetSuite requires a scope once the M2M grant is checked: a token needs something to allow. */
function requireScopesForM2m(m2mGrant: boolean, scopes: readonly Scope[]): void {
  if (m2mGrant && scopes.length === 0) {
    throw invalidInput(
      'integration.scope_required',
      'an integration with the Client Credentials (Machine to Machine) Grant needs at least one scope: ' +
        'add e.g. --scope restlets,rest_webservices',
    );
  }
}

export interface CreateIntegrationInput {
  accountId: string;
  name: string;
  /** Checkbox "Client Credentials (Machine to Machine) Grant"; default false as in NetSuite. */
  m2mGrant?: boolean;
  scopes?: readonly string[] | string;
  /** Default `enabled`. */
  state?: string;
  /** Certificate-bound tokens (RFC 8705): off (default), allowed or required. */
  mtlsBinding?: string;
  /** DPoP (RFC 9449): off (default), allowed or required. */
  dpop?: string;
}

export interface CreatedIntegration {
  integration: Integration;
  /** Shown once; never stored or retrievable again. */
  clientSecret: string;
}

export async function createIntegration(
  deps: ServiceDeps,
  actor: Actor,
  input: CreateIntegrationInput,
): Promise<CreatedIntegration> {
  const account = await permittedAccount(deps, actor, input.accountId, WRITE);
  const name = nameOf(input.name, 'the integration name', 'integration.invalid_name');
  const m2mGrant =
    input.m2mGrant === undefined
      ? false
      : booleanOf(input.m2mGrant, 'the M2M grant flag', 'integration.invalid_m2m');
  const scopes = input.scopes === undefined ? [] : scopesOf(input.scopes);
  const state = input.state === undefined ? 'enabled' : stateOf(input.state);
  const mtlsBinding = input.mtlsBinding === undefined ? 'off' : mtlsBindingOf(input.mtlsBinding);
  const dpop = input.dpop === undefined ? 'off' : dpopOf(input.dpop);
  requireScopesForM2m(m2mGrant, scopes);
  const clientSecret = randomBytes(32).toString('hex');
  const integration = await deps.store.integrations.create({
    accountId: account.id,
    name,
    state,
    clientId: randomBytes(32).toString('hex'),
    clientSecretHash: hashClientSecret(clientSecret),
    applicationId: randomUUID().toUpperCase(),
    m2mGrant,
    scopes,
    createdAt: deps.clock.now(),
    mtlsBinding,
    dpop,
  });
  await auditChange(deps, actor, 'integration.create', account.id, {
    clientId: integration.clientId,
  });
  return { integration, clientSecret };
}

export async function listIntegrations(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
): Promise<Integration[]> {
  const account = await permittedAccount(deps, actor, accountId, READ);
  return deps.store.integrations.list(account.id);
}

/**
 * The integration of `accountId` named by internal id (digits) or client id (64 hex). A client
 * id of another account is "not found" with the same message as an unknown one: integration
 * records are never shared between accounts and must not be probed across them.
 */
export async function findIntegration(
  deps: ServiceDeps,
  accountId: string,
  ref: unknown,
): Promise<Integration> {
  const text = typeof ref === 'number' ? String(ref) : typeof ref === 'string' ? ref.trim() : '';
  let found: Integration | null;
  if (/^[0-9]{1,15}$/.test(text)) {
    found = await deps.store.integrations.get(
      accountId,
      idOf(text, 'the integration id', 'integration.invalid_id'),
    );
  } else if (CLIENT_ID_PATTERN.test(text.toLowerCase())) {
    found = await deps.store.integrations.getByClientId(accountId, text.toLowerCase());
  } else {
    throw invalidInput(
      'integration.invalid_id',
      'name the integration by its client id (64 hexadecimal characters) or its internal id',
    );
  }
  if (!found) {
    throw notFound(
      'integration.not_found',
      `no integration record ${text.slice(0, 64)} in account ${accountId}: ` +
        'check the client id against the list of integration records',
      { cli: `(certmint integration list --account ${accountId})` },
    );
  }
  return found;
}

export async function getIntegration(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  ref: number | string,
): Promise<Integration> {
  const account = await permittedAccount(deps, actor, accountId, READ);
  return findIntegration(deps, account.id, ref);
}

export interface UpdateIntegrationInput {
  name?: string;
  state?: string;
  m2mGrant?: boolean;
  scopes?: readonly string[] | string;
  mtlsBinding?: string;
  dpop?: string;
}

export async function updateIntegration(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  ref: number | string,
  patch: UpdateIntegrationInput,
): Promise<Integration> {
  const account = await permittedAccount(deps, actor, accountId, WRITE);
  const current = await findIntegration(deps, account.id, ref);
  const clean: Partial<
    Pick<Integration, 'name' | 'state' | 'm2mGrant' | 'scopes' | 'mtlsBinding' | 'dpop'>
  > = {};
  if (patch.name !== undefined) {
    clean.name = nameOf(patch.name, 'the integration name', 'integration.invalid_name');
  }
  if (patch.state !== undefined) clean.state = stateOf(patch.state);
  if (patch.m2mGrant !== undefined) {
    clean.m2mGrant = booleanOf(patch.m2mGrant, 'the M2M grant flag', 'integration.invalid_m2m');
  }
  if (patch.scopes !== undefined) clean.scopes = scopesOf(patch.scopes);
  if (patch.mtlsBinding !== undefined) clean.mtlsBinding = mtlsBindingOf(patch.mtlsBinding);
  if (patch.dpop !== undefined) clean.dpop = dpopOf(patch.dpop);
  if (Object.keys(clean).length === 0) {
    throw invalidInput(
      'integration.nothing_to_update',
      'nothing to update: give a new name, state, M2M grant flag, scopes, DPoP mode or mTLS binding',
    );
  }
  requireScopesForM2m(clean.m2mGrant ?? current.m2mGrant, clean.scopes ?? current.scopes);
  const updated = await deps.store.integrations.update(account.id, current.id, clean);
  if (updated) {
    await auditChange(deps, actor, 'integration.update', account.id, {
      clientId: updated.clientId,
    });
  }
  if (!updated) throw notFound('integration.not_found', 'the integration record no longer exists');
  return updated;
}
