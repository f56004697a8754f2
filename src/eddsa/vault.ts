/**
 * EdDSA issuers' keys in Vault Transit (key `jwt-<issuer>`, type ed25519): a
 * {@link PublicKeyReader} over `GET <mount>/keys/<name>`, and an {@link EdDsaSigner} over
 * `POST <mount>/sign/<name>`. The private keys never leave Vault. A verifying service needs
 * only `read` on `<mount>/keys/jwt-*`; a minting one also `update` on `<mount>/sign/jwt-*`
 * (vault-api.md row 44). Admin operations are in vault-admin.ts.
 */
import { transitKeyName } from "../defaults.js";
import { AuthError, isAuthError } from "../errors.js";
import type { TransitKeyInfo, TransitSignature, VaultTransit } from "../vault/transit.js";
import type { PublicKeyReader, StoredIssuerKeys, StoredPublicKey } from "./public-key.js";
import type { PublicKeySet } from "./public-key-set.js";
import type { EdDsaSignature, EdDsaSignatures, EdDsaSigner } from "./signer.js";

/** Issuers' public keys from a Vault Transit mount; see {@link PublicKeyReader}. */
export class VaultPublicKeyReader implements PublicKeyReader {
  readonly description: string;

  constructor(private readonly transit: VaultTransit) {
    this.description = `Vault transit mount '${transit.mount}'`;
  }

  /**
   * One `GET <mount>/keys/jwt-<issuer>`. Vault lists the versions from
   * `min_decryption_version` to the latest (vault-api.md rows 45 and 49), so that version is
   * the floor. No such key (404) is `secret_unavailable`; any other failure rejects as it
   * came (an outage for the caller).
   */
  async read(issuer: string): Promise<StoredIssuerKeys> {
    const info = await readTransitKey(this.transit, issuer);
    const keys = new Map<number, StoredPublicKey>();
    for (const [version, entry] of info.publicKeys) {
      keys.set(version, { key: entry.publicKey, createdAt: entry.createdAt });
    }
    // keysutil `policy.go` `Upgrade` raises a stored 0 to 1, and config forces 0 to 1 (row 48).
    const minVersion = Math.max(1, info.minDecryptionVersion);
    return { latest: info.latestVersion, minVersion, keys };
  }
}

export interface VaultEdDsaSignerOptions {
  transit: VaultTransit;
  /**
   * Where the latest version comes from: the process's public key set (cached, refreshed by
   * the change marker), so a mint costs one Vault request. Without it, each mint reads the
   * key first (two requests).
   */
  publicKeys?: PublicKeySet;
}

/**
 * Signs with Vault Transit; see {@link EdDsaSigner}. It reads the latest version, builds the
 * signing input for it (the `kid` names it) and asks Vault to sign with exactly that
 * version, so a rotation in between cannot make the `kid` lie. If Vault refuses the version
 * (the key was rotated and the version retired meanwhile), it reads the latest version again
 * and, when that changed, signs once more.
 */
export class VaultEdDsaSigner implements EdDsaSigner {
  readonly description: string;
  private readonly transit: VaultTransit;
  private readonly publicKeys: PublicKeySet | undefined;

  constructor(options: VaultEdDsaSignerOptions) {
    this.transit = options.transit;
    this.publicKeys = options.publicKeys;
    this.description = `Vault transit mount '${options.transit.mount}'`;
  }

  async sign(issuer: string, input: (version: number) => Buffer): Promise<EdDsaSignature> {
    return this.withRetry(issuer, async (version) => {
      const [signature] = await this.signWith(issuer, version, [input(version)], "sign");
      return { version, signature: signature as Buffer };
    });
  }

  /**
   * All inputs in one `signBatch` (one request) with one explicit `key_version`. Vault
   * answers per item (vault-api.md row 52); any refused item rejects the whole call, and a
   * refused version is retried once, for the whole batch, as in {@link sign}.
   */
  async signMany(issuer: string, inputs: (version: number) => Buffer[]): Promise<EdDsaSignatures> {
    return this.withRetry(issuer, async (version) => {
      const signatures = await this.signWith(issuer, version, inputs(version), "signBatch");
      return { version, signatures };
    });
  }

  /**
   * Runs `attempt` with the latest version; if Vault refuses that version, reads the latest
   * again and, when it changed, runs `attempt` once more with it.
   */
  private async withRetry<T>(issuer: string, attempt: (version: number) => Promise<T>): Promise<T> {
    const version = await this.latest(issuer, false);
    try {
      return await attempt(version);
    } catch (error) {
      if (!isVersionRefused(error)) throw error;
      const newer = await this.latest(issuer, true);
      if (newer === version) throw error;
      return attempt(newer);
    }
  }

  /** The issuer's latest version: cached (unless `fresh`) when a public key set is given. */
  private async latest(issuer: string, fresh: boolean): Promise<number> {
    if (this.publicKeys) {
      const keys = fresh
        ? await this.publicKeys.refresh(issuer)
        : await this.publicKeys.get(issuer);
      return keys.latest;
    }
    return (await readTransitKey(this.transit, issuer)).latestVersion;
  }

  /** Signs `inputs` with exactly `version`, through `transit.sign` (one) or `signBatch`. */
  private async signWith(
    issuer: string,
    version: number,
    inputs: Buffer[],
    how: "sign" | "signBatch",
  ): Promise<Buffer[]> {
    const name = transitKeyName(issuer);
    let signed: TransitSignature[];
    try {
      signed =
        how === "sign"
          ? [await this.transit.sign(name, inputs[0] as Buffer, { keyVersion: version })]
          : await this.transit.signBatch(name, inputs, { keyVersion: version });
    } catch (error) {
      if (isAuthError(error, "vault_not_found")) throw missing(this.transit, issuer, error);
      throw error;
    }
    const other = signed.find((item) => item.keyVersion !== version);
    if (other) {
      throw new AuthError(
        "vault_bad_response",
        `Vault signed with version ${other.keyVersion} of transit key ${this.transit.mount}/${name}, not ${version}`,
        { details: { issuer, version, key_version: other.keyVersion } },
      );
    }
    return signed.map((item) => item.signature);
  }
}

/** `readKey` of `jwt-<issuer>`, its 404 as `secret_unavailable`. */
export async function readTransitKey(
  transit: VaultTransit,
  issuer: string,
): Promise<TransitKeyInfo> {
  try {
    return await transit.readKey(transitKeyName(issuer));
  } catch (error) {
    if (isAuthError(error, "vault_not_found")) throw missing(transit, issuer, error);
    throw error;
  }
}

/** Vault refused the key version asked for (not the request): see `VaultTransit.signBatch`. */
function isVersionRefused(error: unknown): boolean {
  return isAuthError(error, "vault_bad_response") && error.details.version_refused === true;
}

/** The issuer has no Transit key: the one "not found" of EdDSA keys. */
export function missing(transit: VaultTransit, issuer: string, cause: AuthError): AuthError {
  const name = transitKeyName(issuer);
  return new AuthError(
    "secret_unavailable",
    `No EdDSA key '${name}' in Vault transit mount '${transit.mount}'`,
    {
      hint: `create one: vault write ${transit.mount}/keys/${name} type=ed25519`,
      details: { issuer, key: name, mount: transit.mount },
      cause,
    },
  );
}
