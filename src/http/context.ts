import type { MasterKey } from '../crypto/master-key.ts';
import type { Clock } from '../domain/clock.ts';
import type { AuditWriter } from '../service/audit-writer.ts';
import type { RecordCache } from '../service/token/record-cache.ts';
import type { SigningKeys } from '../service/token/signing-keys.ts';
import type { TokenService } from '../service/token/token-service.ts';
import type { Store } from '../store/ports.ts';

/** What every route may use; decorated on the Fastify instance as `certmint`. */
export interface AppContext {
  store: Store;
  clock: Clock;
  tokens: TokenService;
  keys: SigningKeys;
  cache: RecordCache;
  audit: AuditWriter;
  publicUrl: string;
  explainErrors: boolean;
  /** Encrypts secrets at rest (token-signing keys, console TOTP secrets). */
  master: MasterKey;
}

declare module 'fastify' {
  interface FastifyInstance {
    certmint: AppContext;
  }
}
