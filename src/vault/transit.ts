/**
 * Vault's transit secrets engine over a {@link VaultClient}, for ed25519 signing keys whose
 * private half never leaves Vault: create, read (the public keys of every usable version),
 * rotate, configure and sign. Shapes and rules: hashicorp `builtin/logical/transit`
 * (`path_keys.go`, `path_rotate.go`, `path_keys_config.go`, `path_sign_verify.go`) and
 * `sdk/helper/keysutil/policy.go`.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import type { z } from "zod";
import { DEFAULT_TRANSIT_MOUNT } from "../defaults.js";
import { AuthError, isAuthError } from "../errors.js";
import { parseTimestamp } from "../timestamps.js";
import type { VaultClient } from "./client.js";
import { encodePath, normalizeMount } from "./paths.js";
import { listResponse, parseShape } from "./schemas.js";
import { transitBatchSignResponse, transitKeyResponse } from "./transit-schemas.js";

/** One version's public key. */
export interface TransitPublicKey {
  /** Ready for `crypto.verify(null, data, publicKey, signature)`. */
  publicKey: KeyObject;
  /** The raw 32 bytes (what JWK `x` and the JWT header's key material are made of). */
  raw: Buffer;
  createdAt: Date;
}

export interface TransitKeyInfo {
  name: string;
  latestVersion: number;
  /** Versions below it are archived: Vault neither lists nor uses them. */
  minDecryptionVersion: number;
  /** 0: any listed version may sign; else the lowest version that may. */
  minEncryptionVersion: number;
  minAvailableVersion: number;
  deletionAllowed: boolean;
  exportable: boolean;
  /** From `minDecryptionVersion` to `latestVersion`, by version. */
  publicKeys: Map<number, TransitPublicKey>;
}

export interface TransitKeySettings {
  minDecryptionVersion?: number;
  minEncryptionVersion?: number;
  deletionAllowed?: boolean;
}

export interface TransitSignOptions {
  /** The key version to sign with (>= 1); the latest when left out. */
  keyVersion?: number;
}

export interface TransitSignature {
  /** The raw 64-byte Ed25519 signature of the input itself (no hashing first). */
  signature: Buffer;
  keyVersion: number;
}

/** `framework.GenericNameRegex`: what Vault accepts as a key name in a path. */
const KEY_NAME = /^\w(?:[\w.-]*\w)?$/;
/** `vault:v<N>:` + std base64 of 64 bytes (keysutil `getVersionPrefix`, `asn1` marshaling). */
const SIGNATURE = /^vault:v([1-9]\d{0,8}):([A-Za-z0-9+/]{86}==)$/;
/** Std base64 of 32 bytes, as `RotateInMemory` stores an ed25519 public key. */
const PUBLIC_KEY = /^[A-Za-z0-9+/]{43}=$/;

export class VaultTransit {
  /** The mount, e.g. `transit`. */
  readonly mount: string;

  constructor(
    private readonly client: VaultClient,
    mount: string = DEFAULT_TRANSIT_MOUNT,
  ) {
    this.mount = normalizeMount(mount);
  }

  /**
   * Creates an ed25519 key (version 1). An existing key is left as it is: `created` is
   * false then, and the key must still be ed25519 or this rejects `vault_bad_response`.
   * Needs `update` on `<mount>/keys/<name>`.
   */
  async createKey(name: string): Promise<TransitKeyInfo & { created: boolean }> {
    const target = this.url("keys", name);
    const body = await this.client.request("POST", target, { body: { type: "ed25519" } });
    const parsed = this.shape(transitKeyResponse, body, "POST", target);
    // `pathPolicyWrite` warns instead of failing when the key is already there.
    const existed = (parsed.warnings ?? []).includes(`key ${name} already existed`);
    return { ...this.keyInfo(parsed, "POST", target), created: !existed };
  }

  /** The key and its public keys. Rejects `vault_not_found` when there is no such key. */
  async readKey(name: string): Promise<TransitKeyInfo> {
    const target = this.url("keys", name);
    const body = await this.client.request("GET", target);
    return this.keyInfo(this.shape(transitKeyResponse, body, "GET", target), "GET", target);
  }

  /**
   * The names of the mount's keys, sorted; `[]` when it has none (Vault answers an empty
   * list with 404, `path_keys.go` `pathKeysList`; vault-api.md row 46). A missing mount is
   * a 404 too, so it also reads as `[]`. Needs `list` on `<mount>/keys/` or `<mount>/keys`
   * (a LIST path gets a trailing `/`, hashicorp `http/logical.go` `buildLogicalRequestNoAuth`,
   * and Vault's ACL also tries it without, VAULT-3825; vault-api.md row 8).
   */
  async listKeys(): Promise<string[]> {
    const target = `${encodePath(this.mount)}/keys`;
    let body: unknown;
    try {
      body = await this.client.request("GET", target, { query: { list: "true" } });
    } catch (error) {
      if (isAuthError(error, "vault_not_found")) return [];
      throw error;
    }
    return this.shape(listResponse, body, "GET", target).data.keys;
  }

  /** Adds a version, which becomes the latest; older versions stay as they were. */
  async rotateKey(name: string): Promise<TransitKeyInfo> {
    const target = `${this.url("keys", name)}/rotate`;
    const body = await this.client.request("POST", target);
    return this.keyInfo(this.shape(transitKeyResponse, body, "POST", target), "POST", target);
  }

  /**
   * Changes the min versions or `deletion_allowed`. Vault refuses (400,
   * `vault_bad_response`) a min version above the latest, or a min encryption version
   * below the min decryption version.
   */
  async configureKey(name: string, settings: TransitKeySettings): Promise<TransitKeyInfo> {
    const target = `${this.url("keys", name)}/config`;
    const body: Record<string, unknown> = {};
    if (settings.minDecryptionVersion !== undefined) {
      body.min_decryption_version = wholeNumber(
        settings.minDecryptionVersion,
        "minDecryptionVersion",
      );
    }
    if (settings.minEncryptionVersion !== undefined) {
      body.min_encryption_version = wholeNumber(
        settings.minEncryptionVersion,
        "minEncryptionVersion",
      );
    }
    if (settings.deletionAllowed !== undefined) body.deletion_allowed = settings.deletionAllowed;
    const answer = await this.client.request("POST", target, { body });
    return this.keyInfo(this.shape(transitKeyResponse, answer, "POST", target), "POST", target);
  }

  /**
   * Signs `input` with the key (Ed25519 over the bytes themselves). Rejects
   * `vault_not_found` for a missing key and `vault_bad_response` for a version Vault will not
   * sign with (below `min_encryption_version`, archived, or above the latest).
   */
  async sign(
    name: string,
    input: Uint8Array,
    options: TransitSignOptions = {},
  ): Promise<TransitSignature> {
    const [signed] = await this.signBatch(name, [input], options);
    return signed as TransitSignature;
  }

  /**
   * Signs each input in one request, results in input order; rejects if any item fails.
   * Sent as `batch_input` even for one input: Vault then reports a refused item inside a
   * 200, where the single form answers 500 (hashicorp/vault#20713) that would be retried
   * as a server failure.
   */
  async signBatch(
    name: string,
    inputs: readonly Uint8Array[],
    options: TransitSignOptions = {},
  ): Promise<TransitSignature[]> {
    const target = this.url("sign", name);
    const body: Record<string, unknown> = {
      batch_input: inputs.map((input, index) => ({
        input: Buffer.from(input).toString("base64"),
        reference: String(index),
      })),
    };
    if (options.keyVersion !== undefined) {
      const version = options.keyVersion;
      if (!Number.isInteger(version) || version < 1) {
        throw new AuthError(
          "invalid_input",
          `A transit key version must be an integer >= 1, got ${version}`,
        );
      }
      body.key_version = version;
    }
    if (inputs.length === 0) return [];
    const answer = await this.signRequest(target, name, body);
    const results = this.shape(transitBatchSignResponse, answer, "POST", target).data.batch_results;
    if (results.length !== inputs.length) {
      throw this.unexpected(
        "POST",
        target,
        `${results.length} results for ${inputs.length} inputs`,
      );
    }
    return results.map((result, index) => {
      if (result.reference !== String(index)) {
        throw this.unexpected("POST", target, `result ${index} has another input's reference`);
      }
      if (result.error !== undefined) throw this.refusedItem(target, name, index, result.error);
      return this.signatureOf(result, "POST", target);
    });
  }

  private async signRequest(target: string, name: string, body: unknown): Promise<unknown> {
    try {
      return await this.client.request("POST", target, { body });
    } catch (error) {
      // `pathSignWrite` answers a missing key with 400 "signing key not found".
      const missing =
        isAuthError(error, "vault_bad_response") &&
        error.details.status === 400 &&
        error.message.includes(": signing key not found)");
      if (!missing) throw error;
      throw new AuthError("vault_not_found", `No transit key ${this.mount}/${name} to sign with`, {
        hint: `create it: POST /v1/${this.url("keys", name)} with type=ed25519`,
        details: { ...error.details },
        cause: error,
      });
    }
  }

  /** `vault:v<N>:<base64>` of exactly 64 bytes, N matching `key_version`; nothing else. */
  private signatureOf(
    result: { signature?: string | undefined; key_version: number },
    method: string,
    target: string,
  ): TransitSignature {
    const match = SIGNATURE.exec(result.signature ?? "");
    const raw = match ? Buffer.from(match[2] as string, "base64") : undefined;
    if (!match || !raw || raw.toString("base64") !== match[2] || raw.length !== 64) {
      throw this.unexpected(method, target, "the signature is not vault:v<N>:<base64 of 64 bytes>");
    }
    const keyVersion = Number(match[1]);
    if (keyVersion !== result.key_version) {
      throw this.unexpected(method, target, "the signature's version is not its key_version");
    }
    return { signature: raw, keyVersion };
  }

  /**
   * A refused item. `details.version_refused` is true when Vault refused the key version
   * itself (keysutil `policy.go` `SignWithOptions`, `safeGetKeyEntry`; vault-api.md row 53):
   * above the latest, below `min_encryption_version`, or archived.
   */
  private refusedItem(target: string, name: string, index: number, reason: string): AuthError {
    const tooHigh = /higher than the latest/.test(reason);
    const retired = /minimum encryption|no such key version/.test(reason);
    const hint = tooHigh
      ? "that key version does not exist yet; read the key's latest_version"
      : retired
        ? "sign with the latest version (leave keyVersion out) or lower min_encryption_version"
        : "check the key's type (ed25519) and the request";
    return new AuthError(
      "vault_bad_response",
      `Vault refused to sign input ${index} with transit key ${this.mount}/${name}: ${reason}`,
      { hint, details: { path: `/v1/${target}`, index, version_refused: tooHigh || retired } },
    );
  }

  private keyInfo(
    parsed: z.infer<typeof transitKeyResponse>,
    method: string,
    target: string,
  ): TransitKeyInfo {
    const data = parsed.data;
    if (data.type !== "ed25519" || data.derived) {
      const kind = `${data.derived ? "derived " : ""}${data.type}`;
      throw new AuthError(
        "vault_bad_response",
        `Transit key ${this.mount}/${data.name} is ${kind}, not a plain ed25519 key`,
        {
          hint: "gofr-auth signs with non-derived ed25519 transit keys (type=ed25519)",
          details: { path: `/v1/${target}` },
        },
      );
    }
    const publicKeys = new Map<number, TransitPublicKey>();
    for (const [version, entry] of Object.entries(data.keys)) {
      publicKeys.set(Number(version), this.publicKeyOf(entry, method, target));
    }
    if (!publicKeys.has(data.latest_version)) {
      throw this.unexpected(method, target, "no public key for latest_version");
    }
    return {
      name: data.name,
      latestVersion: data.latest_version,
      minDecryptionVersion: data.min_decryption_version,
      minEncryptionVersion: data.min_encryption_version,
      minAvailableVersion: data.min_available_version,
      deletionAllowed: data.deletion_allowed,
      exportable: data.exportable,
      publicKeys: new Map([...publicKeys].sort(([a], [b]) => a - b)),
    };
  }

  private publicKeyOf(
    entry: { public_key: string; creation_time: string },
    method: string,
    target: string,
  ): TransitPublicKey {
    const raw = Buffer.from(entry.public_key, "base64");
    if (!PUBLIC_KEY.test(entry.public_key) || raw.toString("base64") !== entry.public_key) {
      throw this.unexpected(method, target, "a public_key is not base64 of 32 bytes");
    }
    let createdAt: Date;
    try {
      createdAt = new Date(parseTimestamp(entry.creation_time));
    } catch {
      throw this.unexpected(method, target, "a creation_time is not an RFC 3339 time");
    }
    const publicKey = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") },
      format: "jwk",
    });
    return { publicKey, raw, createdAt };
  }

  /** `<mount>/<kind>/<name>`, the name checked as Vault's routes would match it. */
  private url(kind: "keys" | "sign", name: string): string {
    if (!KEY_NAME.test(name)) {
      throw new AuthError("invalid_input", `Invalid transit key name ${JSON.stringify(name)}`, {
        hint: "use letters, digits, '_', '-' and '.'; start and end with a letter or digit",
      });
    }
    return `${encodePath(this.mount)}/${kind}/${name}`;
  }

  private shape<T>(schema: z.ZodType<T>, body: unknown, method: string, target: string): T {
    const parsed = parseShape(schema, body);
    if (parsed.ok) return parsed.value;
    throw this.unexpected(method, target, parsed.problem);
  }

  private unexpected(method: string, target: string, problem: string): AuthError {
    return new AuthError(
      "vault_bad_response",
      `Unexpected answer from Vault for ${method} /v1/${target}: ${problem}`,
      {
        hint: `check that '${this.mount}' is a transit mount and the key an ed25519 key`,
        details: { path: `/v1/${target}` },
      },
    );
  }
}

function wholeNumber(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new AuthError("invalid_input", `${field} must be an integer >= 0, got ${value}`);
  }
  return value;
}
