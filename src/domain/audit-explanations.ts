/**
 * What each audit detail code and event type means, in plain language, and what to do about it.
 * The one source of these texts: the console's Login Audit Trail, `certmint audit list`
 * (`--explain`, and `description` in `--json`) and the table in docs/http.md (a test keeps that
 * table equal to `auditExplanationTables()`).
 */
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  type AuditEventType,
  DETAIL_CODES,
  type DetailCode,
  isDetailCode,
} from './audit.ts';

export interface Explanation {
  /** What happened, in one sentence. */
  meaning: string;
  /** What to do about it; null when there is nothing to do. */
  action: string | null;
}

/** Why a token, introspection or revocation request failed (the client saw only the error). */
export const DETAIL_EXPLANATIONS: Readonly<Record<DetailCode, Explanation>> = {
  UnsupportedAlgo: {
    meaning:
      'The assertion was signed with an algorithm certmint does not accept, or one that does not fit the mapped key.',
    action:
      'Sign with ES256 for a P-256 key, ES384 for P-384, ES512 for P-521, or PS256, PS384 or PS512 for an RSA key; RS256, HS256 and none are never accepted.',
  },
  TokenValidityTooBroad: {
    meaning: 'The assertion was valid for more than an hour (exp minus iat over 3600 seconds).',
    action: 'Set exp at most 3600 seconds after iat; a few minutes is usual.',
  },
  SignatureValidation: {
    meaning: "The assertion's signature does not verify with the mapped certificate's public key.",
    action:
      'Sign with the private key that belongs to the certificate named in kid; after a rotation, check that the client uses the new key and the new certificate id together.',
  },
  MissingKeyId: {
    meaning: 'The assertion has no kid header.',
    action: 'Put the certificate id shown on the M2M Setup page in the kid header.',
  },
  MissingKey: {
    meaning: "No certificate with the assertion's kid is mapped in this account.",
    action:
      'Check the kid against the certificate ids on the M2M Setup page of this account (a sandbox has its own mappings; a refresh clears them).',
  },
  InvalidIssuer: {
    meaning:
      "The assertion's iss is not the client id of the integration the certificate is mapped to.",
    action: "Set iss to the client id of the integration shown on the certificate's row.",
  },
  TokenNotAcceptable: {
    meaning: "The assertion's iat or nbf lies more than 10 seconds in the future.",
    action: "Correct the client's clock (use NTP) and set iat to the current time.",
  },
  TokenExpired: {
    meaning: 'The assertion had already expired (its exp has passed) when it arrived.',
    action: "Make a new assertion for each request and check the client's clock.",
  },
  IntegrationBlocked: {
    meaning: 'The integration record is blocked.',
    action: "Set the integration's state to Enabled on Manage Integrations, if it should work.",
  },
  ScopeMismatched: {
    meaning: 'The request asked for a scope that the integration record does not allow.',
    action: 'Ask only for scopes checked on the integration, or check the scope there.',
  },
  InvalidScope: {
    meaning: 'The request named no scope, or a scope certmint does not know.',
    action:
      'Ask for restlets, rest_webservices or suite_analytics, in the assertion or the scope parameter.',
  },
  EntityOrRoleDisabled: {
    meaning: 'The mapped entity or role is inactive, or the entity no longer holds the role.',
    action:
      'Activate the entity and the role and assign the role to the entity, or map a certificate to another entity and role.',
  },
  InvalidIntegration: {
    meaning: 'The integration record the certificate is mapped to no longer exists.',
    action: 'Map a new certificate to an existing integration record.',
  },
  InvalidAudience: {
    meaning: "The assertion's aud is neither this account's token endpoint URL nor its issuer.",
    action:
      'Set aud to the token endpoint URL of this account (a sandbox has its own); a list with several audiences is refused.',
  },
  AssertionReplayed: {
    meaning: 'The same assertion (same jti, or the same signed content) was used before.',
    action: 'Make a new assertion, with a new jti, for every token request.',
  },
  CertificateRevoked: {
    meaning: 'The certificate in kid has been revoked.',
    action: 'Map a new certificate and give the client its certificate id and private key.',
  },
  CertificateExpired: {
    meaning: 'The certificate in kid has expired (or passed its two-year limit).',
    action: 'Map a new certificate and give the client its certificate id and private key.',
  },
  CertificateNotYetValid: {
    meaning: 'The certificate in kid is not valid yet: its validity starts later.',
    action: 'Wait until its start time, or map a certificate that is already valid.',
  },
  MalformedAssertion: {
    meaning:
      'The client assertion is missing or is not a well-formed signed JWT (three parts, a JSON header and claims, at most 16 KiB, no crit header, numeric exp and iat after one another).',
    action:
      'Send the signed JWT as client_assertion, with client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer and numeric iat and exp claims.',
  },
  GrantNotAllowed: {
    meaning:
      'The integration record does not have the Client Credentials (Machine to Machine) Grant checked.',
    action: 'Check Client Credentials (Machine to Machine) Grant on the integration record.',
  },
  MissingPermission: {
    meaning: 'The mapped role lacks "Log in using OAuth 2.0 Access Tokens".',
    action: 'Add "Log in using OAuth 2.0 Access Tokens" to the role on Manage Roles.',
  },
  InvalidRequest: {
    meaning:
      'The request body was not a form within limits, repeated a parameter, or had no grant_type.',
    action:
      'Send one application/x-www-form-urlencoded body with each parameter once and grant_type=client_credentials.',
  },
  UnsupportedGrantType: {
    meaning: 'The grant_type was not client_credentials.',
    action: 'Send grant_type=client_credentials.',
  },
  RateLimited: {
    meaning:
      'The client or its address sent more OAuth requests than this node allows per minute; it was answered 429 with Retry-After.',
    action:
      'Cache access tokens until they expire (one hour) instead of requesting one per call, and honour Retry-After; an operator can raise the limits.',
  },
  ClientCertificateMissing: {
    meaning:
      "The integration's mTLS binding is required, but the token request came without a TLS client certificate.",
    action:
      'Send the token request over HTTPS presenting the mapped certificate and its private key as the TLS client certificate (the server must run with --client-certs request, or its proxy must forward the certificate), or set the binding to allowed or off.',
  },
  ClientCertificateMismatch: {
    meaning:
      "The integration's mTLS binding is required, and the TLS client certificate was not the certificate mapped to the assertion's key.",
    action:
      'Present the same certificate on the TLS connection as the one whose kid signs the assertion; after a rotation, switch both together.',
  },
  DpopProofMissing: {
    meaning:
      'The integration requires DPoP (RFC 9449) and the token request carried no DPoP proof header.',
    action:
      'Send a DPoP proof with every token request (certmint/client: the dpop option), or set the integration to DPoP allowed or off.',
  },
  DpopProofMalformed: {
    meaning:
      'The DPoP header was not one well-formed proof: not a signed JWT, typ not dpop+jwt, no public jwk in its header, a missing jti, htm, htu or iat, or more than one DPoP header.',
    action:
      'Build the proof as RFC 9449 section 4.2 describes, with a DPoP-capable client library.',
  },
  DpopUnsupportedAlgo: {
    meaning:
      'The DPoP proof was signed with an algorithm certmint does not accept, or one that does not fit the key in its jwk header.',
    action:
      'Sign proofs with ES256, ES384, ES512, PS256, PS384 or PS512 and a matching key (RSA keys of at least 2048 bits).',
  },
  DpopSignatureValidation: {
    meaning: "The DPoP proof's signature does not verify with the key in its own jwk header.",
    action: 'Sign the proof with the private key of the public key it carries.',
  },
  DpopWrongMethod: {
    meaning: "The DPoP proof's htm is not POST, the method of the token request.",
    action: 'Make a new proof for each request with htm set to its HTTP method.',
  },
  DpopWrongUrl: {
    meaning:
      "The DPoP proof's htu is not this account's token endpoint (query and fragment are ignored).",
    action:
      "Set htu to the token_endpoint of the account's metadata, exactly as the client addresses it.",
  },
  DpopProofStale: {
    meaning:
      "The DPoP proof's iat is more than 60 seconds in the past or more than 5 seconds in the future.",
    action: "Make a fresh proof for each request and correct the client's clock (use NTP).",
  },
  DpopProofReplayed: {
    meaning: 'The same DPoP proof (same key and jti) was used before.',
    action: 'Make a new proof, with a new jti, for every request.',
  },
  DpopNonceRequired: {
    meaning:
      'The server asks for DPoP nonces and the proof had none, or an unknown or expired one; the answer was use_dpop_nonce with a fresh DPoP-Nonce header.',
    action:
      'Retry once with the nonce of the DPoP-Nonce response header in the proof (DPoP-capable clients do this by themselves).',
  },
};

/** What each kind of event records. A failure with a detail code is explained by the code. */
export const EVENT_EXPLANATIONS: Readonly<Record<AuditEventType, Explanation>> = {
  token: {
    meaning:
      'An access token was issued to a client that signed its request with a mapped certificate.',
    action: null,
  },
  introspect: {
    meaning: 'A client asked whether an access token is active (RFC 7662).',
    action: null,
  },
  revoke: { meaning: 'A client revoked one of its access tokens (RFC 7009).', action: null },
  'mapping.create': {
    meaning: 'A certificate was mapped to an integration, entity and role.',
    action: null,
  },
  'mapping.revoke': {
    meaning: 'A certificate mapping was revoked; tokens it issued stopped working.',
    action: null,
  },
  'mapping.expiry_notice': {
    meaning:
      'An expiry notice about this certificate was sent by email or webhook (or given up after its retries).',
    action: 'Rotate the certificate before it expires: certmint cert rotate, or the rotation API.',
  },
  'sandbox.refresh': {
    meaning: 'The sandbox was refreshed from production: its M2M setup was cleared.',
    action: 'Map new certificates in the sandbox for the clients that use it.',
  },
  'keys.rotate': {
    meaning:
      'A new token-signing key was made; the old one stays published until its tokens expire.',
    action: null,
  },
  'account.create': { meaning: 'A sandbox or release preview account was created.', action: null },
  'entity.create': { meaning: 'An entity (user) was created.', action: null },
  'entity.update': { meaning: "An entity's details or active state were changed.", action: null },
  'entity.role_assign': { meaning: 'A role was assigned to an entity.', action: null },
  'entity.role_unassign': {
    meaning: 'A role was removed from an entity; mappings to that entity and role stop working.',
    action: null,
  },
  'role.create': { meaning: 'A role was created.', action: null },
  'role.update': { meaning: "A role's name, state or permissions were changed.", action: null },
  'integration.create': { meaning: 'An integration record was created.', action: null },
  'integration.update': {
    meaning: "An integration record's name, state, grant, scopes or DPoP mode were changed.",
    action: null,
  },
  'password.reset': {
    meaning: "An entity's console password was set or cleared; its console sessions ended.",
    action: null,
  },
  'two_factor.reset': {
    meaning: "An entity's two-factor enrolment was reset; it enrols again at its next sign-in.",
    action: null,
  },
};

/** Event types that record a change made by a person or the command line (not a client). */
const CLIENT_EVENTS: ReadonlySet<AuditEventType> = new Set(['token', 'introspect', 'revoke']);
export const isAdministrativeEvent = (type: AuditEventType): boolean => !CLIENT_EVENTS.has(type);

/**
 * The explanation of one event: its failure's detail code, else its type. A refused
 * administrative request records the refusal's own code (e.g. `permission.missing`): the person
 * was shown the full message when it happened; the trail names the code and what was refused.
 */
export function explainAuditEvent(e: Pick<AuditEvent, 'type' | 'result' | 'detail'>): Explanation {
  if (e.result === 'failure') {
    if (e.detail === null) return FAILED_WITHOUT_DETAIL;
    if (isDetailCode(e.detail)) return DETAIL_EXPLANATIONS[e.detail];
    return refusedExplanation(e.type, e.detail);
  }
  return EVENT_EXPLANATIONS[e.type];
}

/** A refused administrative request: what was tried, and the refusal's code. */
function refusedExplanation(type: AuditEventType, code: string): Explanation {
  const tried = EVENT_EXPLANATIONS[type].meaning.replace(/\.$/, '');
  return {
    meaning: `Refused (${code}), nothing changed. What was asked: ${tried.charAt(0).toLowerCase()}${tried.slice(1)}.`,
    action: code.startsWith('permission.')
      ? 'The person lacked the permission: an Administrator can grant it, or do it for them.'
      : 'The person was told why when it happened; nothing needs undoing.',
  };
}

/** Every failure the server records has a detail code; this covers a record without one. */
const FAILED_WITHOUT_DETAIL: Explanation = {
  meaning: 'The request failed; no reason was recorded.',
  action: null,
};

/** One line: the meaning, then what to do. */
export const describeAuditEvent = (e: Pick<AuditEvent, 'type' | 'result' | 'detail'>): string => {
  const x = explainAuditEvent(e);
  return x.action === null ? x.meaning : `${x.meaning} ${x.action}`;
};

const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The docs' Markdown tables of detail codes and event types, generated from the texts above. */
export function auditExplanationTables(): string {
  const details = DETAIL_CODES.map((code) => {
    const x = DETAIL_EXPLANATIONS[code];
    return `| \`${code}\` | ${cell(x.meaning)} | ${cell(x.action ?? '')} |`;
  });
  const events = AUDIT_EVENT_TYPES.map((type) => {
    const x = EVENT_EXPLANATIONS[type];
    return `| \`${type}\` | ${cell(x.meaning)} | ${cell(x.action ?? '')} |`;
  });
  return [
    '| Detail code | What it means | What to do |',
    '|---|---|---|',
    ...details,
    '',
    '| Event type | What it records | What to do |',
    '|---|---|---|',
    ...events,
  ].join('\n');
}
