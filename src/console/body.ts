/**
 * Form bodies. The app parses application/x-www-form-urlencoded into a raw string (its OAuth
 * endpoints need the raw form, see service/token/form.ts); console routes turn it into fields
 * here, before the CSRF check reads `_csrf`. Multipart bodies (certificate upload) arrive from
 * @fastify/multipart as parts: text parts become strings, the file part stays a file.
 */
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';

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

/** Bodies already turned into fields: converting one again would lose them. */
const normalized = new WeakSet<object>();

/**
 * preValidation hook: replaces `req.body` with plain fields (null-prototype object). Also
 * called by an error handler when the multipart parser stopped early (the parts read so far);
 * a body converted already is left as it is.
 */
export async function normalizeBody(req: FastifyRequest): Promise<void> {
  const body: unknown = req.body;
  const out: Fields = Object.create(null) as Fields;
  normalized.add(out);
  if (typeof body === 'string') {
    for (const [k, v] of new URLSearchParams(body)) add(out, k, v);
    req.body = out;
    return;
  }
  if (typeof body !== 'object' || body === null || normalized.has(body)) return;
  for (const [k, raw] of Object.entries(body)) {
    for (const part of Array.isArray(raw) ? raw : [raw]) {
      if (!isPart(part)) continue;
      if (part.type === 'file') out[k] = part as MultipartFile;
      else if (typeof part.value === 'string') add(out, k, part.value);
    }
  }
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
