/**
 * The NetSuite stand-in's certificate rotation endpoint, as Oracle documents it
 * (reference/netsuite-m2m.md §6): bearer token of scope rest_webservices; POST
 * clients/{clientId}/certificates with exactly {"fileContent", "role" (number), "entity"
 * (string)} as JSON; POST …/{certificateId}/revoke with an empty body, answered with the plain
 * text "Successfully revoked"; GET the list. Anything else is answered 400 with what was wrong,
 * so a test sees at once when the SDK strays from the documented request.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { NetsuiteFake, RecordedRequest } from './netsuite-fake.ts';
import { json } from './netsuite-fake.ts';

export const ROTATION_PREFIX = '/services/rest/auth/oauth2/v1/clients/';

interface Meta {
  role: number;
  entity: number;
  created: string;
  validFrom: string;
  validUntil: string;
}

const meta = new WeakMap<NetsuiteFake, Map<string, Meta>>();
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function metaOf(fake: NetsuiteFake): Map<string, Meta> {
  let m = meta.get(fake);
  if (!m) {
    m = new Map();
    for (const id of fake.certs.keys()) {
      // Oracle's example mapping: Administrator (3) of entity -5.
      m.set(id, {
        role: 3,
        entity: -5,
        created: '2026-01-01',
        validFrom: '2026-01-01',
        validUntil: '2026-12-31',
      });
    }
    meta.set(fake, m);
  }
  return m;
}

/** How the next rotation requests are answered instead of handled (e.g. a 403 missing scope). */
export type RotationScript = { status: number; headers?: Record<string, string>; body: unknown };
const scripts = new WeakMap<NetsuiteFake, RotationScript[]>();
export function scriptRotation(fake: NetsuiteFake, ...answers: RotationScript[]): void {
  scripts.set(fake, [...(scripts.get(fake) ?? []), ...answers]);
}

export function rotationRequest(
  fake: NetsuiteFake,
  r: RecordedRequest,
  res: ServerResponse,
  path: string,
): undefined {
  const scripted = scripts.get(fake)?.shift();
  if (scripted) {
    for (const [k, v] of Object.entries(scripted.headers ?? {})) res.setHeader(k, v);
    return json(res, scripted.status, scripted.body);
  }
  const token = /^Bearer (.+)$/.exec(r.headers.authorization ?? '')?.[1];
  if (!token || !fake.issued.includes(token)) {
    res.setHeader('www-authenticate', `Bearer realm="${fake.o.account}", error="invalid_token"`);
    return json(res, 401, { error: 'invalid_token' });
  }
  if (!fake.scopesOf.get(token)?.includes('rest_webservices')) {
    res.setHeader(
      'www-authenticate',
      `Bearer realm="${fake.o.account}", error="insufficient_scope"`,
    );
    return json(res, 403, { error: 'insufficient_scope' });
  }
  const rest = path.slice(ROTATION_PREFIX.length).split('/');
  if (rest[0] !== fake.o.clientId || rest[1] !== 'certificates') return json(res, 404, {});
  const certs = metaOf(fake);
  if (rest.length === 2 && r.method === 'GET') {
    return json(
      res,
      200,
      [...certs].map(([id, m]) => ({
        application: {
          id: 1,
          name: 'app',
          url: '/app/common/integration/integrapp.nl?id=1',
          application_id: 'A1',
        },
        entity: { id: m.entity, name: 'e', url: `/app/common/entity/entity.nl?id=${m.entity}` },
        role: { id: m.role, name: 'r', url: `/app/setup/role.nl?id=${m.role}` },
        created: m.created,
        valid_from: m.validFrom,
        valid_until: m.validUntil,
        revoked: fake.revokedCertificates.has(id),
        certificate_id: id,
        algorithm: 'EC',
      })),
    );
  }
  if (rest.length === 2 && r.method === 'POST') return create(fake, r, res, certs);
  if (rest.length === 4 && rest[3] === 'revoke' && r.method === 'POST') {
    const id = decodeURIComponent(rest[2] ?? '');
    if (r.body !== '') return json(res, 400, { error: 'the revoke request has a body' });
    if (!certs.has(id) || fake.revokedCertificates.has(id)) return json(res, 404, {});
    fake.revokedCertificates.add(id);
    fake.certs.delete(id);
    res.writeHead(200, { 'content-type': 'text/plain;charset=utf-8' });
    res.end('Successfully revoked');
    return;
  }
  return json(res, 405, {});
}

function create(
  fake: NetsuiteFake,
  r: RecordedRequest,
  res: ServerResponse,
  certs: Map<string, Meta>,
): undefined {
  if (r.headers['content-type'] !== 'application/json') {
    return json(res, 400, { error: `content-type ${r.headers['content-type']}` });
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    return json(res, 400, { error: 'not JSON' });
  }
  const keys = Object.keys(body).sort().join(',');
  if (keys !== 'entity,fileContent,role') return json(res, 400, { error: `keys ${keys}` });
  if (typeof body.role !== 'number') return json(res, 400, { error: 'role must be a number' });
  if (typeof body.entity !== 'string') return json(res, 400, { error: 'entity must be a string' });
  if (
    typeof body.fileContent !== 'string' ||
    !body.fileContent.startsWith('-----BEGIN CERTIFICATE-----')
  ) {
    return json(res, 400, { error: 'fileContent must be a PEM certificate' });
  }
  const cert = new X509Certificate(body.fileContent);
  const id = createHash('sha256').update(cert.raw).digest('base64url');
  const m: Meta = {
    role: body.role,
    entity: Number(body.entity),
    created: day(Date.now()),
    validFrom: day(Date.parse(cert.validFrom)),
    validUntil: day(Date.parse(cert.validTo)),
  };
  certs.set(id, m);
  fake.certs.set(id, cert.publicKey);
  return json(res, 200, {
    entity_role_id: { com: fake.o.account, ent: m.entity, rol: m.role },
    application_id: 1,
    certificate_id: id,
    certificate: body.fileContent,
    algorithm: cert.publicKey.asymmetricKeyType === 'ec' ? 'EC' : 'RSA',
    created_at: m.created,
    valid_from: m.validFrom,
    valid_until: m.validUntil,
    invalidated: false,
  });
}
