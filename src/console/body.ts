/**
 * Form bodies. The app parses application/x-www-form-urlencoded into a raw string (its OAuth
 * endpoints need the raw form, see service/token/form.ts); console routes turn it into fields
 * here, before the CSRF check reads `_csrf`. Multipart bodies (certificate upload) are read
 * here too, part by part through @fastify/multipart: text parts become strings, the file part
 * stays a file (read into memory, within the plugin's limits).
 *
 * A multipart body that cannot be read (no boundary, truncated, malformed part headers) is the
 * sender's mistake, not ours: 400, logged at info — anyone can send one, unauthenticated.
 */
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyError, FastifyRequest } from 'fastify';

export type FieldValue = string | string[] | MultipartFile;
export type Fields = Record<string, FieldValue>;

function add(out: Fields, key: string, value: string): void {
  const prev = out[key];
  if (prev === undefined) out[key] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else if (typeof prev === 'string') out[key] = [prev, value];
}

function isPart(v: unknown): v is { type: string; value?: unknown } {
  return typeof v === 'object' && v !== null && 'type' in v && 'fieldname' in v;
}

/** The 400 answer to a multipart body that cannot be read. */
export class MalformedBodyError extends Error {
  readonly statusCode = 400;
  readonly code = 'CERTMINT_MALFORMED_MULTIPART';
  constructor() {
    super('the form data could not be read');
    this.name = 'MalformedBodyError';
  }
}

const isClientError = (e: unknown): boolean => {
  const status = (e as Partial<FastifyError> | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
};

/** Bodies already turned into fields: converting one again would lose them. */
const normalized = new WeakSet<object>();

/**
 * The parts of a multipart body as fields. The plugin's own refusals (a file too large, too
 * many parts: 413) pass through as they are, with the fields read before them left in
 * `req.body` (so a refused upload's page keeps the choices made); any other failure to read
 * the body is a MalformedBodyError.
 */
async function multipartFields(req: FastifyRequest, out: Fields): Promise<void> {
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        // Buffered now: the next part can only be read after this one (toBuffer keeps it).
        await part.toBuffer();
        out[part.fieldname] = part;
      } else if (isPart(part) && typeof part.value === 'string') {
        add(out, part.fieldname, part.value);
      }
    }
  } catch (e) {
    if (isClientError(e)) {
      req.body = out;
      throw e;
    }
    req.log.info({ reason: (e as Error).message }, 'malformed multipart body refused');
    throw new MalformedBodyError();
  }
}

/**
 * preValidation hook: replaces `req.body` with plain fields (null-prototype object). An error
 * handler may call it again after the multipart reader stopped early: a body converted already
 * is left as it is.
 */
export async function normalizeBody(req: FastifyRequest): Promise<void> {
  if (typeof req.body === 'object' && req.body !== null && normalized.has(req.body)) return;
  const out: Fields = Object.create(null) as Fields;
  normalized.add(out);
  if (req.isMultipart()) {
    await multipartFields(req, out);
    req.body = out;
    return;
  }
  const body: unknown = req.body;
  if (typeof body !== 'string') return;
  for (const [k, v] of new URLSearchParams(body)) add(out, k, v);
  req.body = out;
}

const fieldsOf = (req: FastifyRequest): Fields =>
  typeof req.body === 'object' && req.body !== null ? (req.body as Fields) : {};

/** The first value of a text field, trimmed; '' when missing. */
export function field(req: FastifyRequest, name: string): string {
  const v = fieldsOf(req)[name];
  if (typeof v === 'string') return v.trim();
  if (Array.isArray(v)) return (v[0] ?? '').trim();
  return '';
}

/** Every value of a repeated field (checkbox groups). */
export function fieldList(req: FastifyRequest, name: string): string[] {
  const v = fieldsOf(req)[name];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v;
  return [];
}

export function fileField(req: FastifyRequest, name: string): MultipartFile | null {
  const v = fieldsOf(req)[name];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
}

/** Like `field` but untrimmed (passwords: spaces are part of them). */
export function rawField(req: FastifyRequest, name: string): string {
  const v = fieldsOf(req)[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v[0] ?? '';
  return '';
}
