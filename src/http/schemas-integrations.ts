/** JSON Schemas of the admin API's integration routes (see schemas.ts for the conventions). */
import { DPOP_MODES, MTLS_BINDING_MODES } from '../domain/integration.ts';
import { SCOPES } from '../domain/scope.ts';
import { bearer } from './schemas.ts';

const params = (withClient: boolean) =>
  ({
    type: 'object',
    required: withClient ? ['accountId', 'clientId'] : ['accountId'],
    additionalProperties: false,
    properties: {
      accountId: { $ref: 'AccountId#' },
      ...(withClient && { clientId: { $ref: 'ClientId#' } }),
    },
  }) as const;

const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

export const integrationListSchema = {
  summary: 'The integration records',
  description: 'Every integration record of the account (never a client secret).',
  tags: ['admin'],
  security: bearer,
  params: params(false),
  querystring: noQuery,
} as const;

export const integrationGetSchema = {
  summary: 'One integration record',
  description: 'The record named by its client id.',
  tags: ['admin'],
  security: bearer,
  params: params(true),
  querystring: noQuery,
} as const;

export const integrationUpdateSchema = {
  summary: 'Change an integration record',
  description: 'Only the members given change.',
  tags: ['admin'],
  security: bearer,
  params: params(true),
  querystring: noQuery,
  body: {
    $id: 'IntegrationUpdate',
    title: 'Integration changes',
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200, description: 'new name' },
      state: { type: 'string', enum: ['enabled', 'blocked'], description: 'enabled or blocked' },
      m2mGrant: {
        type: 'boolean',
        description: 'Client Credentials (Machine to Machine) Grant',
      },
      scopes: {
        type: 'array',
        maxItems: SCOPES.length,
        items: { type: 'string', enum: SCOPES },
        description: 'replaces the list of scopes',
      },
      dpop: {
        type: 'string',
        enum: DPOP_MODES,
        description: 'DPoP sender-constrained tokens (RFC 9449): off, allowed, required',
      },
      mtlsBinding: {
        type: 'string',
        enum: MTLS_BINDING_MODES,
        description: 'certificate-bound tokens over mutual TLS (RFC 8705): off, allowed, required',
      },
    },
  },
} as const;
