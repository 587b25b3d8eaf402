/**
 * A local stand-in for NetSuite's documented M2M token endpoint (reference/netsuite-m2m.md §1–3),
 * on 127.0.0.1, for the client SDK tests. It verifies each client assertion against the mapped
 * certificates with node:crypto only (an implementation independent of the SDK's jose), records
 * every request, and can be told to fail the next requests the ways real NetSuite does.
 */
import {
  constants,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ROTATION_PREFIX, rotationRequest } from './netsuite-rotation.ts';

export const TOKEN_PATH = '/services/rest/auth/oauth2/v1/token';
export const KEYS_PATH = '/services/rest/auth/oauth2/v1/keys';
/** A protected REST resource: 200 for a live token, NetSuite's 401 otherwise. */
export const RESOURCE_PATH = '/services/rest/record/v1/customer/-5';
export const NETSUITE_ISSUER = 'https://system.netsuite.com';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How to answer the next token request instead of checking it. */
export type ScriptedAnswer =
  | 'invalid_client_400'
  | 'invalid_client_401'
  | 'server_error'
  | 'reset'
  /** 200 without an access_token: not a token response. */
  | 'no_token';

export interface NetsuiteFakeOptions {
  /** Account id, e.g. '123456_SB1': the realm of the challenges. */
  account: string;
  clientId: string;
  /**
   * Certificates mapped to this client: PEM (id = base64url SHA-256 of the DER, as NetSuite),
   * or PEM with the id to use (NetSuite ids can begin with "-", suitecloud-sdk #881).
   */
  certificates: (string | { pem: string; certificateId: string })[];
  /** Path before /services/…, e.g. '/accounts/TSTDRV1' for a certmint-shaped URL. Default ''. */
  basePath?: string;
  /** Scopes on the integration record. Default restlets, rest_webservices. */
  scopes?: string[];
  expiresIn?: number;
  /** The `aud` the assertion must carry. Default: this server's token URL. */
  audience?: string;
  /** ms since the epoch; default Date.now. */
  now?: () => number;
}

/** NetSuite's Login Audit Trail detail code of each refusal, in order. */
export type AuditDetail =
  | 'UnsupportedAlgo'
  | 'MissingKeyId'
  | 'MissingKey'
  | 'SignatureValidation'
  | 'InvalidIssuer'
  | 'TokenExpired'
  | 'TokenValidityTooBroad'
  | 'TokenNotAcceptable'
  | 'InvalidScope'
  | 'InvalidAudience'
  | 'Malformed';

const HASH: Record<string, string> = {
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
};

/** RFC 7518 §3.5: the PSS salt is as long as the hash; checked exactly, not auto-detected. */
const SALT: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

export class NetsuiteFake {
  readonly requests: RecordedRequest[] = [];
  readonly audit: AuditDetail[] = [];
  /** Access tokens issued, in order. */
  readonly issued: string[] = [];
  private readonly revoked = new Set<string>();
  private readonly scripted: ScriptedAnswer[] = [];
  /** Mapped certificates by id: the token endpoint's keys (the rotation API adds and removes). */
  readonly certs = new Map<string, KeyObject>();
  /** The scopes each issued access token carries. */
  readonly scopesOf = new Map<string, string[]>();
  /** Revoked through the rotation API. */
  readonly revokedCertificates = new Set<string>();
  private readonly signingKey: KeyObject;
  private readonly signingPublicJwk: Record<string, unknown>;
  readonly signingKid: string;
  private readonly sockets = new Set<Socket>();
  readonly origin: string;

  private constructor(
    private readonly server: Server,
    readonly o: NetsuiteFakeOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    for (const entry of o.certificates) {
      const c = new X509Certificate(typeof entry === 'string' ? entry : entry.pem);
      const id =
        typeof entry === 'string'
          ? createHash('sha256').update(c.raw).digest('base64url')
          : entry.certificateId;
      this.certs.set(id, c.publicKey);
    }
    // NetSuite's own samples are RS256 with a kid like c.<account>.<date>.
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.signingKey = pair.privateKey;
    this.signingKid = `c.${o.account}.2026-01-18_02-18-17`;
    this.signingPublicJwk = {
      ...pair.publicKey.export({ format: 'jwk' }),
      kid: this.signingKid,
      alg: 'RS256',
      use: 'sig',
    };
  }

  static async start(o: NetsuiteFakeOptions): Promise<NetsuiteFake> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new NetsuiteFake(server, o);
    server.on('connection', (s) => {
      fake.sockets.add(s);
      s.on('close', () => fake.sockets.delete(s));
    });
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: RecordedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        fake.requests.push(r);
        fake.handle(r, res);
      });
    });
    return fake;
  }

  private get base(): string {
    return this.o.basePath ?? '';
  }

  /** The rotation API's certificates collection of this client. */
  get certificatesUrl(): string {
    return `${this.origin}${this.base}${ROTATION_PREFIX}${this.o.clientId}/certificates`;
  }

  get tokenUrl(): string {
    return `${this.origin}${this.base}${TOKEN_PATH}`;
  }

  get keysUrl(): string {
    return `${this.origin}${this.base}${KEYS_PATH}`;
  }

  get resourceUrl(): string {
    return `${this.origin}${this.base}${RESOURCE_PATH}`;
  }

  tokenRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === `${this.base}${TOKEN_PATH}`);
  }

  /** The next token requests get these answers, in order; after them, normal checking. */
  script(...answers: ScriptedAnswer[]): void {
    this.scripted.push(...answers);
  }

  /** Every token issued so far is refused by the resource from now on. */
  revokeIssued(): void {
    for (const t of this.issued) this.revoked.add(t);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(r: RecordedRequest, res: ServerResponse): undefined {
    const path = r.path.startsWith(this.base) ? r.path.slice(this.base.length) : '';
    if (path === TOKEN_PATH && r.method === 'POST') return this.token(r, res);
    if (path === KEYS_PATH && r.method === 'GET') {
      return json(res, 200, { keys: [this.signingPublicJwk] });
    }
    if (path === RESOURCE_PATH) return this.resource(r, res);
    if (path.startsWith(ROTATION_PREFIX)) return rotationRequest(this, r, res, path);
    json(res, 404, { error: 'not_found' });
  }

  private resource(r: RecordedRequest, res: ServerResponse): undefined {
    const m = /^Bearer (.+)$/.exec(r.headers.authorization ?? '');
    const token = m?.[1];
    if (token && this.issued.includes(token) && !this.revoked.has(token)) {
      return json(res, 200, { id: '-5', ok: true });
    }
    res.setHeader(
      'www-authenticate',
      `Bearer realm="${this.o.account}", error="invalid_token", error_description="Invalid login attempt."`,
    );
    json(res, 401, { 'o:errorCode': 'INVALID_LOGIN' });
  }

  private token(r: RecordedRequest, res: ServerResponse): undefined {
    const answer = this.scripted.shift();
    if (answer === 'reset') {
      res.socket?.destroy();
      return;
    }
    if (answer === 'server_error') return json(res, 500, { error: 'server_error' });
    if (answer === 'no_token') return json(res, 200, { token_type: 'Bearer', expires_in: 3600 });
    // Observed for M2M: 400 for a certificate never uploaded (reference §3); 401 is documented.
    if (answer === 'invalid_client_400') return this.invalidClient(res, 400);
    if (answer === 'invalid_client_401') return this.invalidClient(res, 401);
    if (r.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return json(res, 400, { error: 'invalid_request' });
    }
    const form = new URLSearchParams(r.body);
    if (form.get('grant_type') !== 'client_credentials') {
      return json(res, 400, { error: 'unsupported_grant_type' });
    }
    if (
      form.get('client_assertion_type') !==
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
      !form.get('client_assertion')
    ) {
      return json(res, 400, { error: 'invalid_request' });
    }
    const refusal = this.check(form.get('client_assertion') as string);
    if (typeof refusal === 'string') {
      this.audit.push(refusal);
      return this.invalidClient(res);
    }
    const now = Math.floor(this.now() / 1000);
    const accessToken = this.signAccessToken({
      sub: '3;-5',
      aud: [`a1b2c3d4-0000-4000-8000-000000000001;${this.o.account}`, this.o.clientId],
      scope: refusal.scopes,
      iss: NETSUITE_ISSUER,
      exp: now + 3600,
      iat: now,
      jti: `${this.o.account}.a-a.${randomUUID()}_${this.now()}`,
    });
    this.issued.push(accessToken);
    this.scopesOf.set(accessToken, refusal.scopes);
    json(res, 200, {
      access_token: accessToken,
      expires_in: this.o.expiresIn ?? 3600,
      token_type: 'Bearer',
    });
  }

  private invalidClient(res: ServerResponse, status: 400 | 401 = 401): undefined {
    res.setHeader('www-authenticate', `Basic realm="${this.o.account}"`);
    json(res, status, { error: 'invalid_client' });
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  /** The documented checks, one refusal code each (Login Audit Trail "Detail"). */
  private check(jwt: string): AuditDetail | { scopes: string[] } {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'Malformed';
    const [h, p, s] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return 'Malformed';
    }
    const alg = String(header.alg);
    const hash = HASH[alg];
    if (!hash) return 'UnsupportedAlgo';
    if (typeof header.kid !== 'string' || header.kid === '') return 'MissingKeyId';
    const key = this.certs.get(header.kid);
    if (!key) return 'MissingKey';
    const ok = alg.startsWith('ES')
      ? verify(
          hash,
          Buffer.from(`${h}.${p}`),
          { key, dsaEncoding: 'ieee-p1363' },
          Buffer.from(s, 'base64url'),
        )
      : verify(
          hash,
          Buffer.from(`${h}.${p}`),
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT[hash] },
          Buffer.from(s, 'base64url'),
        );
    if (!ok) return 'SignatureValidation';
    if (claims.iss !== this.o.clientId) return 'InvalidIssuer';
    if (claims.aud !== (this.o.audience ?? this.tokenUrl)) return 'InvalidAudience';
    const now = Math.floor(this.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!Number.isInteger(iat) || !Number.isInteger(exp) || exp <= now) return 'TokenExpired';
    if (exp - iat > 3600) return 'TokenValidityTooBroad';
    if (iat > now + 10) return 'TokenNotAcceptable';
    const raw = claims.scope;
    const scopes = Array.isArray(raw)
      ? raw.map(String)
      : typeof raw === 'string'
        ? raw.split(',').map((x) => x.trim())
        : [];
    const allowed = this.o.scopes ?? ['restlets', 'rest_webservices'];
    if (scopes.length === 0 || scopes.some((x) => !allowed.includes(x))) return 'InvalidScope';
    return { scopes };
  }

  private signAccessToken(claims: Record<string, unknown>): string {
    const header = { typ: 'JWT', alg: 'RS256', kid: this.signingKid };
    const input = `${b64(header)}.${b64(claims)}`;
    const sig = sign('sha256', Buffer.from(input), this.signingKey);
    return `${input}.${sig.toString('base64url')}`;
  }
}

function b64(x: unknown): string {
  return Buffer.from(JSON.stringify(x)).toString('base64url');
}

export function json(res: ServerResponse, status: number, body: unknown): undefined {
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
  res.end(JSON.stringify(body));
}
