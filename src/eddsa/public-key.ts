/**
 * Ed25519 public keys of EdDSA issuers: what a store answers ({@link PublicKeyReader}) and
 * the checked, loaded form the verify path uses ({@link EdDsaPublicKey}).
 */
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { inspect } from "node:util";
import { transitKeyName } from "../defaults.js";
import { AuthError } from "../errors.js";
import { fingerprintBytes } from "../secrets/fingerprint.js";

/** Raw Ed25519 public keys are 32 bytes (RFC 8032 section 5.1.5). */
export const ED25519_PUBLIC_KEY_BYTES = 32;
/** Ed25519 signatures are 64 bytes (RFC 8032 section 5.1.6). */
export const ED25519_SIGNATURE_BYTES = 64;

/** One version of an issuer's public key, as a store answers it. */
export interface StoredPublicKey {
  /** An Ed25519 public key. */
  key: KeyObject;
  createdAt: Date;
}

/** An issuer's verifiable public keys, as a store answers them. */
export interface StoredIssuerKeys {
  /** The newest version (the one minting). */
  latest: number;
  /** The retirement floor: lower versions no longer verify. */
  minVersion: number;
  /** Every version from `minVersion` to `latest` the store holds. */
  keys: ReadonlyMap<number, StoredPublicKey>;
}

/** Where EdDSA issuers' public keys come from (Vault Transit, the SQLite store, memory). */
export interface PublicKeyReader {
  /** Where the keys come from, for messages. */
  readonly description: string;
  /**
   * The issuer's public keys. Rejects with `secret_unavailable` when the issuer has no
   * EdDSA key (the only "not found"); any other rejection is an outage (fail closed, 503).
   */
  read(issuer: string): Promise<StoredIssuerKeys>;
  /**
   * A number that changes whenever any key in the store may have changed (see
   * `SecretSource.generation`, the SQLite store's `data_version`). Optional.
   */
  generation?(): number;
}

/**
 * One loaded version of an issuer's Ed25519 public key. A new object per version loaded
 * (the same object while the store answers the same bytes), so caches keyed by it (the
 * verified-token cache) follow rotations and retirements.
 */
export class EdDsaPublicKey {
  readonly algorithm = "EdDSA";
  /** The key's name: `jwt-<issuer>` (the Transit key name). */
  readonly name: string;
  /** `sha256:` + 12 hex of SHA-256 of the 32 raw public key bytes. */
  readonly fingerprint: string;
  /** The 32 raw public key bytes (JWK `x`). */
  readonly raw: Buffer;

  constructor(
    readonly issuer: string,
    readonly version: number,
    readonly key: KeyObject,
    readonly createdAt: Date,
  ) {
    this.name = transitKeyName(issuer);
    this.raw = rawPublicKey(key, issuer, version);
    this.fingerprint = fingerprintBytes(this.raw);
  }

  /**
   * True when `signature` (64 bytes) is this key's Ed25519 signature of `signingInput`.
   * OpenSSL checks strictly (RFC 8032: S < L), so a malleated signature fails.
   */
  verify(signingInput: string, signature: Buffer): boolean {
    if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
    return verify(null, Buffer.from(signingInput, "utf8"), this.key, signature);
  }

  toJSON() {
    return {
      name: this.name,
      version: this.version,
      createdAt: this.createdAt.toISOString(),
      fingerprint: this.fingerprint,
    };
  }

  [inspect.custom]() {
    return `EdDsaPublicKey ${JSON.stringify(this.toJSON())}`;
  }
}

/** An Ed25519 public key from its 32 raw bytes. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new AuthError("secret_invalid", `An Ed25519 public key is 32 bytes, got ${raw.length}`);
  }
  const x = Buffer.from(raw).toString("base64url");
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
}

/** The raw bytes of an Ed25519 public key; `secret_invalid` for any other kind of key. */
function rawPublicKey(key: KeyObject, issuer: string, version: number): Buffer {
  if (key.type !== "public" || key.asymmetricKeyType !== "ed25519") {
    throw new AuthError(
      "secret_invalid",
      `EdDSA key '${transitKeyName(issuer)}' version ${version} is not an Ed25519 public key`,
      {
        hint: "EdDSA issuers need an ed25519 key (Vault Transit: type ed25519)",
        details: { issuer, version, type: key.asymmetricKeyType ?? key.type },
      },
    );
  }
  const { x } = key.export({ format: "jwk" });
  return Buffer.from(x as string, "base64url");
}
