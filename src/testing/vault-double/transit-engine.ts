/**
 * A transit engine in memory, reduced to what issue 18 needs: named ed25519 keys with
 * versions, rotation, the min decryption/encryption versions and signing. Private keys are
 * node:crypto KeyObjects that never leave this module; only public keys go out. No HTTP
 * here; `transit.ts` maps routes to it. Rules follow hashicorp `sdk/helper/keysutil/policy.go`
 * and `builtin/logical/transit/path_keys*.go` (cited per method).
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { fail } from "./http.js";

/** `mount_type` of every answer from a transit mount. */
export const TRANSIT_MOUNT_TYPE = "transit";

/**
 * keysutil's `errutil.UserError` from signing: the single `sign` form answers it as a 500
 * (issue hashicorp/vault#20713), a batch item carries its text in `error`.
 */
export class TransitUserError extends Error {}

interface KeyVersion {
  privateKey: KeyObject;
  /** The raw 32 bytes, base64 std (keysutil `RotateInMemory`: `FormattedPublicKey`). */
  publicKey: string;
  /** Vault's RFC 3339 time with nanoseconds (`KeyEntry.CreationTime`). */
  createdTime: string;
}

export interface TransitKey {
  readonly name: string;
  /** Every version ever made (Vault keeps the older ones in its archive). */
  readonly versions: Map<number, KeyVersion>;
  latestVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  deletionAllowed: boolean;
  exportable: boolean;
  allowPlaintextBackup: boolean;
}

/** The public side of a key, for the double's inspection helper. */
export interface TransitKeyView {
  name: string;
  latestVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  /** Every version's raw 32-byte public key, archived versions included. */
  publicKeys: Map<number, Buffer>;
}

/** The settings `POST keys/:name/config` may change (`path_keys_config.go`). */
export interface TransitKeyChanges {
  minDecryptionVersion?: number;
  minEncryptionVersion?: number;
  deletionAllowed?: boolean;
  exportable?: boolean;
  allowPlaintextBackup?: boolean;
}

export type SignatureMarshaling = "asn1" | "jws";

export class TransitEngine {
  private readonly keys = new Map<string, TransitKey>();

  /** `now()` returns Vault's RFC 3339 time with nanoseconds. */
  constructor(private readonly now: () => string) {}

  get(name: string): TransitKey | undefined {
    return this.keys.get(name);
  }

  /** Key names, sorted as Vault's storage `List` returns them. */
  names(): string[] {
    return [...this.keys.keys()].sort();
  }

  /** A new key with version 1; `min_decryption_version` starts at 1 (`RotateInMemory`). */
  create(name: string, settings: { exportable: boolean; allowPlaintextBackup: boolean }) {
    const key: TransitKey = {
      name,
      versions: new Map(),
      latestVersion: 0,
      minDecryptionVersion: 1,
      minEncryptionVersion: 0,
      deletionAllowed: false,
      ...settings,
    };
    this.rotate(key);
    this.keys.set(name, key);
    return key;
  }

  /** A new version becomes the latest; the min versions stay (keysutil `RotateInMemory`). */
  rotate(key: TransitKey): void {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const raw = Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url");
    key.latestVersion += 1;
    key.versions.set(key.latestVersion, {
      privateKey,
      publicKey: raw.toString("base64"),
      createdTime: this.now(),
    });
  }

  /**
   * `pathPolicyDelete` + `LockManager.DeletePolicy`: 400 with the lock manager's reason
   * (the error is a plain one next to an error response, so the status stays 400).
   */
  delete(name: string): void {
    const key = this.keys.get(name);
    const reason = !key
      ? "could not delete key; not found"
      : !key.deletionAllowed
        ? "deletion is not allowed for this key"
        : undefined;
    if (reason) throw fail(400, `error deleting policy ${name}: ${reason}`);
    this.keys.delete(name);
  }

  /**
   * `pathKeysConfigWrite`, in its order; nothing changes when a check fails. Every refusal
   * is an error response without an error, so 400. Returns the warning Vault adds, if any.
   */
  configure(key: TransitKey, changes: TransitKeyChanges): string | undefined {
    let warning: string | undefined;
    let minDecryption = key.minDecryptionVersion;
    let minEncryption = key.minEncryptionVersion;
    if (changes.minDecryptionVersion !== undefined) {
      let wanted = changes.minDecryptionVersion;
      if (wanted < 0) throw fail(400, "min decryption version cannot be negative");
      if (wanted === 0) {
        wanted = 1;
        warning = "since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1";
      }
      if (wanted !== minDecryption && wanted > key.latestVersion) {
        throw fail(
          400,
          `cannot set min decryption version of ${wanted}, ` +
            `latest key version is ${key.latestVersion}`,
        );
      }
      minDecryption = wanted;
    }
    if (changes.minEncryptionVersion !== undefined) {
      const wanted = changes.minEncryptionVersion;
      if (wanted < 0) throw fail(400, "min encryption version cannot be negative");
      if (wanted !== minEncryption && wanted > key.latestVersion) {
        throw fail(
          400,
          `cannot set min encryption version of ${wanted}, ` +
            `latest key version is ${key.latestVersion}`,
        );
      }
      minEncryption = wanted;
    }
    if (minEncryption > 0 && minEncryption < minDecryption) {
      throw fail(
        400,
        "cannot set min encryption/decryption values; " +
          `min encryption version of ${minEncryption} must be greater than or equal to ` +
          `min decryption version of ${minDecryption}`,
      );
    }
    key.minDecryptionVersion = minDecryption;
    key.minEncryptionVersion = minEncryption;
    if (changes.deletionAllowed !== undefined) key.deletionAllowed = changes.deletionAllowed;
    // "Once set, this cannot be disabled."
    if (changes.exportable) key.exportable = true;
    if (changes.allowPlaintextBackup) key.allowPlaintextBackup = true;
    return warning;
  }

  /**
   * keysutil `SignWithOptions` for ed25519: version 0 is the latest; a negative one, one
   * above the latest or (when set) below `min_encryption_version` is refused; a version
   * below `min_decryption_version` is archived, so `safeGetKeyEntry` has no entry for it.
   * Ed25519 signs the input itself, never a hash of it (`signWithEd25519`); CE refuses
   * Ed25519ph (`genEd25519Options`: sha2-512). The signature is `vault:v<N>:` + std
   * base64 (`asn1`) or unpadded base64url (`jws`).
   */
  sign(
    key: TransitKey,
    requested: number,
    input: Buffer,
    options: { hashAlgorithm: string; marshaling: SignatureMarshaling },
  ): { keyVersion: number; signature: string } {
    let version = requested;
    if (version === 0) version = key.latestVersion;
    else if (version < 0) throw new TransitUserError("requested version for signing is negative");
    else if (version > key.latestVersion) {
      throw new TransitUserError(
        "requested version for signing is higher than the latest key version",
      );
    } else if (key.minEncryptionVersion > 0 && version < key.minEncryptionVersion) {
      throw new TransitUserError(
        "requested version for signing is less than the minimum encryption key version",
      );
    }
    const entry = version >= key.minDecryptionVersion ? key.versions.get(version) : undefined;
    if (!entry) throw new TransitUserError("no such key version");
    if (options.hashAlgorithm === "sha2-512") {
      throw new TransitUserError(
        "error generating Ed25519 options: hash algorithm of SHA2 512 is not supported feature",
      );
    }
    const raw = sign(null, input, entry.privateKey);
    const encoded = raw.toString(options.marshaling === "jws" ? "base64url" : "base64");
    return { keyVersion: version, signature: `vault:v${version}:${encoded}` };
  }

  /** The public side of every key, for tests (no private key ever leaves the engine). */
  describe(): TransitKeyView[] {
    return this.names().map((name) => {
      const key = this.keys.get(name) as TransitKey;
      const publicKeys = new Map<number, Buffer>();
      for (const [version, entry] of key.versions) {
        publicKeys.set(version, Buffer.from(entry.publicKey, "base64"));
      }
      return {
        name,
        latestVersion: key.latestVersion,
        minDecryptionVersion: key.minDecryptionVersion,
        minEncryptionVersion: key.minEncryptionVersion,
        publicKeys,
      };
    });
  }
}

/**
 * `formatKeyPolicy` for a non-derived ed25519 key (`path_keys.go`). `keys` holds only the
 * versions from `min_decryption_version` up: `Policy.handleArchiving` moves older ones to
 * the archive. Each entry is the `asymKey` struct through `structs.Map`, so its empty
 * fields are present too.
 */
export function keyData(key: TransitKey): Record<string, unknown> {
  const keys: Record<string, unknown> = {};
  for (const [version, entry] of key.versions) {
    if (version < key.minDecryptionVersion) continue;
    keys[String(version)] = {
      certificate_chain: "",
      creation_time: entry.createdTime,
      hybrid_public_key: "",
      name: "ed25519",
      public_key: entry.publicKey,
    };
  }
  return {
    allow_plaintext_backup: key.allowPlaintextBackup,
    auto_rotate_period: 0,
    deletion_allowed: key.deletionAllowed,
    derived: false,
    exportable: key.exportable,
    imported_key: false,
    keys,
    latest_version: key.latestVersion,
    min_available_version: 0,
    min_decryption_version: key.minDecryptionVersion,
    min_encryption_version: key.minEncryptionVersion,
    name: key.name,
    supports_decryption: false,
    supports_derivation: true,
    supports_encryption: false,
    supports_signing: true,
    type: "ed25519",
  };
}
