/** The minting side of EdDSA issuers: private keys stay in the signer (Vault Transit, SQLite). */

/** A signature and the key version that made it. */
export interface EdDsaSignature {
  version: number;
  /** The 64-byte Ed25519 signature. */
  signature: Buffer;
}

/**
 * Signs with an EdDSA issuer's private key, which never leaves the signer. The caller
 * gives the signing input as a function of the key version, because the version is in
 * it (the `kid` header): a signer that finds its version refused (the key rotated or
 * was retired meanwhile) may read the latest version again and call `input` once more.
 */
export interface EdDsaSigner {
  /** Where the private keys live, for messages. */
  readonly description: string;
  /**
   * Signs `input(version)` with the issuer's latest version. Rejects `secret_unavailable`
   * when the issuer has no EdDSA key; any other rejection is an outage.
   */
  sign(issuer: string, input: (version: number) => Buffer): Promise<EdDsaSignature>;
  /**
   * Signs every input of `inputs(version)` with one version (the latest), in one call: on
   * Vault one Transit request for the lot. Either all are signed (signatures in input
   * order) or the call rejects and none is returned. Same rejections and retry as `sign`.
   * Optional: without it, a batch mint signs one token at a time.
   */
  signMany?(issuer: string, inputs: (version: number) => Buffer[]): Promise<EdDsaSignatures>;
}

/** Signatures of a batch, in input order, all made by one key version. */
export interface EdDsaSignatures {
  version: number;
  /** The 64-byte Ed25519 signatures. */
  signatures: Buffer[];
}
