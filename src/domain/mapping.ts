/** What certmint imports from an uploaded certificate (the policy has already accepted it). */
export interface CertificateFacts {
  /** base64url(SHA-256(DER)), no padding: NetSuite's certificate id (x5t#S256). */
  certificateId: string;
  /** base64url(SHA-256(SPKI DER)): one public key may belong to one mapping only. */
  publicKeyId: string;
  /** The certificate as PEM (one CERTIFICATE block), normalized. */
  pem: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  algorithm: 'RSA' | 'EC';
  /** RSA: `rsaEncryption` or `RSASSA-PSS` SPKI. EC: always `ec`. */
  keyType: 'rsa' | 'rsa-pss' | 'ec';
  /** RSA modulus bits (3072 | 4096); EC: 256 | 384 | 521. */
  keySize: number;
  /** EC: P-256 | P-384 | P-521; RSA: null. */
  curve: 'P-256' | 'P-384' | 'P-521' | null;
  /** Certificate notBefore (ms). */
  validFrom: number;
  /** Effective end of validity (ms): notAfter capped at validFrom + 2 years. */
  validUntil: number;
  /** True when notAfter was later than validFrom + 2 years and validUntil was shortened. */
  shortened: boolean;
}

export interface Mapping extends CertificateFacts {
  accountId: string;
  integrationId: number;
  entityId: number;
  roleId: number;
  createdAt: number;
  /** Who created it: entity id, or null for the CLI / system. */
  createdBy: number | null;
  revokedAt: number | null;
  revokedBy: number | null;
}

/** At most this many active (not revoked, not expired) certificates per integration record. */
export const MAX_ACTIVE_CERTIFICATES = 5;

export const isMappingActive = (m: Pick<Mapping, 'revokedAt' | 'validUntil'>, now: number) =>
  m.revokedAt === null && m.validUntil > now;
