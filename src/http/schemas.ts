/**
 * The JSON Schemas of every route's input (path parameters, query string, JSON body), checked by
 * Fastify before a handler runs. Shared values are named schemas (`$id`, registered once with
 * `addSchema` and referenced by `$ref`), every property has a description and every route a
 * summary, so an OpenAPI 3.1 document can be generated from them as they are.
 *
 * The OAuth endpoints (token, introspect, revoke) read their raw form body themselves
 * (service/token/form.ts: duplicates, limits, RFC 6749 §3.2); they get path schemas only.
 * A refusal is answered by the one error serializer (http/errors.ts) with a message built in
 * http/validation.ts.
 */
import { AUDIT_EVENT_TYPES } from '../domain/audit.ts';

/** Named schemas referenced by the routes (`{ $ref: 'AccountId#' }`). */
export const SHARED_SCHEMAS = [
  {
    $id: 'AccountId',
    title: 'Account id',
    description:
      'An account id in canonical form: digits (123456), TSTDRV and digits, or <production>_SB<n> / <production>_RP',
    type: 'string',
    pattern: '^[A-Za-z0-9_-]{1,40}$',
    examples: ['TSTDRV0000001', '123456_SB1'],
  },
  {
    $id: 'ClientId',
    title: 'Client id',
    description: "An integration record's client id: 64 hexadecimal characters",
    type: 'string',
    pattern: '^[0-9A-Fa-f]{64}$',
  },
  {
    $id: 'CertificateId',
    title: 'Certificate id',
    description:
      'A mapped certificate id: base64url of the SHA-256 of its DER (43 characters; the JWT kid)',
    type: 'string',
    pattern: '^[A-Za-z0-9_-]{1,64}$',
  },
] as const;

/** An object with exactly these string properties, all required (path parameters). */
const pathOf = (...names: Array<'accountId' | 'clientId' | 'certificateId'>) => {
  const ref = { accountId: 'AccountId#', clientId: 'ClientId#', certificateId: 'CertificateId#' };
  return {
    type: 'object',
    required: names,
    additionalProperties: false,
    properties: Object.fromEntries(names.map((n) => [n, { $ref: ref[n] }])),
  } as const;
};

/** A bearer access token of the account (components.securitySchemes.bearer, http/openapi.ts). */
export const bearer = [{ bearer: [] }];

/** No input at all: query parameters are ignored (removed), nothing else is read. */
const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

export const healthSchema = {
  summary: 'Liveness',
  description: 'Answers 200 while the process serves requests.',
  tags: ['health'],
  querystring: noQuery,
} as const;

export const readinessSchema = {
  summary: 'Readiness',
  description: 'Answers 200 when the store answers a query, else 503.',
  tags: ['health'],
  querystring: noQuery,
} as const;

export const metadataSchema = {
  summary: 'Authorization server metadata (RFC 8414)',
  description: 'What the account’s authorization server supports, exactly as enforced.',
  tags: ['oauth'],
  params: pathOf('accountId'),
  querystring: noQuery,
} as const;

export const jwksSchema = {
  summary: 'Token-signing keys (JWKS)',
  description: 'The public keys that sign the account’s access tokens.',
  tags: ['oauth'],
  params: pathOf('accountId'),
  querystring: noQuery,
} as const;

/** token, introspect, revoke: the form body is the service's to parse. */
export const oauthEndpointSchema = (summary: string, description: string) =>
  ({ summary, description, tags: ['oauth'], params: pathOf('accountId') }) as const;

export const whoamiSchema = {
  summary: 'Who the bearer token speaks for',
  description: 'Account, entity, role, application, scopes and expiry of an access token.',
  tags: ['resources'],
  security: bearer,
  params: pathOf('accountId'),
  querystring: noQuery,
} as const;

export const rotationListSchema = {
  summary: 'List the certificates of an integration (NetSuite rotation API)',
  description:
    'Every certificate the caller may manage: all of them with "OAuth 2.0 Authorized Applications Management", its own entity’s with "Manage own OAuth 2.0 Client Credentials Certificates".',
  tags: ['rotation'],
  security: bearer,
  params: pathOf('accountId', 'clientId'),
  querystring: noQuery,
} as const;

/** NetSuite's shape: `{"fileContent": "<PEM>", "role": 1000, "entity": "-5"}`. */
export const rotationUploadSchema = {
  summary: 'Map a new certificate (NetSuite rotation API)',
  description: 'Maps the certificate to the integration for an entity in a role.',
  tags: ['rotation'],
  security: bearer,
  params: pathOf('accountId', 'clientId'),
  body: {
    $id: 'CertificateUpload',
    title: 'Certificate upload',
    description:
      'send JSON {"fileContent": "<PEM certificate>", "role": <role id>, "entity": "<entity id>"}',
    type: 'object',
    required: ['fileContent', 'role', 'entity'],
    properties: {
      fileContent: {
        type: 'string',
        // No maxLength: the body limit bounds it, and the certificate policy's size refusal
        // says more than a schema could.
        description: 'the X.509 certificate in PEM form (one CERTIFICATE block)',
      },
      role: {
        anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]{1,10}$' }],
        description: 'the internal id of the role the certificate logs in with',
      },
      entity: {
        anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]{1,10}$' }],
        description: 'the internal id of the entity (user) that holds the role',
      },
    },
  },
} as const;

export const rotationRevokeSchema = {
  summary: 'Revoke a certificate (NetSuite rotation API)',
  description: 'Irreversible: tokens it issued become inactive.',
  tags: ['rotation'],
  security: bearer,
  params: pathOf('accountId', 'clientId', 'certificateId'),
  querystring: noQuery,
} as const;

/** Query values are strings on the wire; the service reads and checks their meaning. */
const text = (description: string, maxLength = 64) =>
  ({ type: 'string', maxLength, description }) as const;

export const auditListSchema = {
  summary: 'The audit trail',
  description: 'Token requests with their precise failure reason, and administrative events.',
  tags: ['admin'],
  security: bearer,
  params: pathOf('accountId'),
  querystring: {
    $id: 'AuditQuery',
    title: 'Audit trail filters',
    type: 'object',
    additionalProperties: false,
    properties: {
      result: { type: 'string', enum: ['success', 'failure'], description: 'only this result' },
      detail: text('only this detail code (e.g. SignatureValidation) or refusal code'),
      client_id: text('only this integration client id (64 hexadecimal characters)'),
      type: { type: 'string', enum: AUDIT_EVENT_TYPES, description: 'only this event type' },
      from: text('inclusive lower bound: ISO 8601 date/time or ms since the epoch'),
      to: text('exclusive upper bound: ISO 8601 date/time or ms since the epoch'),
      before: text('paging: only events with a smaller id (the `next` link gives it)', 20),
      limit: text('at most this many events, 1 to 1000 (default 100)', 20),
    },
  },
} as const;

export const mappingListSchema = {
  summary: 'The certificate mappings',
  description: 'Every mapping of the account with its status.',
  tags: ['admin'],
  security: bearer,
  params: pathOf('accountId'),
  querystring: noQuery,
} as const;

export const mappingRevokeSchema = {
  summary: 'Revoke a mapping',
  description: 'Irreversible: tokens it issued become inactive.',
  tags: ['admin'],
  security: bearer,
  params: pathOf('accountId', 'certificateId'),
  querystring: noQuery,
} as const;
