/** A token-signing key as stored: public JWK in clear, private key encrypted at rest. */
export interface SigningKeyRecord {
  accountId: string;
  kid: string;
  alg: 'ES256';
  /** Public JWK as JSON. */
  publicJwk: string;
  /** Private key, encrypted at rest (opaque to the store). */
  privateKeyEncrypted: string;
  createdAt: number;
  /** When it stopped signing (rotation); null while it is the active key. */
  retiredAt: number | null;
}
