/** What the token service and resources learn about the sender beyond the request body. */
import type { FastifyRequest } from 'fastify';
import type { SenderContext } from '../service/token/sender.ts';
import { bindsTokens, clientCertificate } from './client-certificate.ts';
import type { AppContext } from './context.ts';

/** A request without a DPoP header: one shared object, nobody writes to it. */
const NO_PROOF: SenderContext = Object.freeze({});

/**
 * The DPoP header (RFC 9449 §4.1) with the method and URL the client addressed: the public URL
 * (what a proxy in front forwards to) and the request's path. Repeated headers stay joined by
 * commas so the service refuses them (§4.3 step 1).
 */
export function dpopSender(
  ctx: AppContext,
  req: Pick<FastifyRequest, 'headers' | 'method' | 'url'>,
): SenderContext {
  const h = req.headers.dpop;
  if (h === undefined) return NO_PROOF;
  return {
    dpopProof: Array.isArray(h) ? h.join(', ') : h,
    method: req.method,
    url: `${ctx.services.publicUrl}${req.url}`,
  };
}

/**
 * Everything the token endpoint may bind a token to: the DPoP proof, and the client certificate
 * of the TLS connection or of the configured proxy header (RFC 8705 §3).
 */
export function senderOf(ctx: AppContext, req: FastifyRequest): SenderContext {
  const sender = dpopSender(ctx, req);
  if (!bindsTokens(ctx.clientCertificates)) return sender;
  return { ...sender, tlsClientCertificate: () => clientCertificate(ctx.clientCertificates, req) };
}
