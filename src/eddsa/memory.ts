/**
 * EdDSA issuer keys in memory: a {@link PublicKeyReader} and an {@link EdDsaSigner} over the
 * same key pairs, with the admin operations (create, rotate, retire, delete). For tests and
 * single-process tools; private keys live in this process.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { type Clock, systemClock } from "../clock.js";
import { transitKeyName } from "../defaults.js";
import { AuthError } from "../errors.js";
import type { PublicKeyReader, StoredIssuerKeys, StoredPublicKey } from "./public-key.js";
import type { EdDsaSignature, EdDsaSignatures, EdDsaSigner } from "./signer.js";

/** An Ed25519 key pair (`generateKeyPairSync("ed25519")`). */
export interface Ed25519KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

interface IssuerKeys {
  versions: Map<number, Ed25519KeyPair & { createdAt: Date }>;
  latest: number;
  minVersion: number;
}

export interface MemoryEdDsaKeysOptions {
  /** Stamps `createdAt` of new versions. Default: the system clock. */
  clock?: Clock;
}

/** Versioned Ed25519 key pairs per issuer, in memory. */
export class MemoryEdDsaKeys implements PublicKeyReader, EdDsaSigner {
  readonly description = "memory";
  /** Reads served so far, by issuer (tests count store round trips with it). */
  readonly reads = new Map<string, number>();
  private readonly issuers = new Map<string, IssuerKeys>();
  private readonly clock: Clock;

  constructor(options: MemoryEdDsaKeysOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  /** Creates the issuer's key (version 1); refuses an issuer that has one. */
  create(issuer: string, pair: Ed25519KeyPair = newKeyPair()): number {
    if (this.issuers.has(issuer)) {
      throw new AuthError("invalid_input", `EdDSA key '${transitKeyName(issuer)}' exists`);
    }
    this.issuers.set(issuer, { versions: new Map(), latest: 0, minVersion: 1 });
    return this.rotate(issuer, pair);
  }

  /** Adds the next version and makes it the latest; returns its number. */
  rotate(issuer: string, pair: Ed25519KeyPair = newKeyPair()): number {
    const keys = this.keysOf(issuer);
    keys.latest += 1;
    keys.versions.set(keys.latest, { ...pair, createdAt: new Date(this.clock()) });
    return keys.latest;
  }

  /** Versions below `minVersion` stop verifying and signing (`1 <= minVersion <= latest`). */
  retire(issuer: string, minVersion: number): void {
    const keys = this.keysOf(issuer);
    if (!Number.isInteger(minVersion) || minVersion < 1 || minVersion > keys.latest) {
      throw new AuthError("invalid_input", `minVersion must be 1..${keys.latest}`);
    }
    keys.minVersion = minVersion;
  }

  /** Forgets the issuer's keys. */
  delete(issuer: string): void {
    this.issuers.delete(issuer);
  }

  async read(issuer: string): Promise<StoredIssuerKeys> {
    this.reads.set(issuer, (this.reads.get(issuer) ?? 0) + 1);
    const { versions, latest, minVersion } = this.keysOf(issuer);
    const keys = new Map<number, StoredPublicKey>();
    for (const [version, pair] of versions) {
      if (version >= minVersion)
        keys.set(version, { key: pair.publicKey, createdAt: pair.createdAt });
    }
    return { latest, minVersion, keys };
  }

  /** Total reads of `issuer`'s keys. */
  readCount(issuer: string): number {
    return this.reads.get(issuer) ?? 0;
  }

  async sign(issuer: string, input: (version: number) => Buffer): Promise<EdDsaSignature> {
    const { versions, latest } = this.keysOf(issuer);
    const pair = versions.get(latest) as Ed25519KeyPair;
    return { version: latest, signature: sign(null, input(latest), pair.privateKey) };
  }

  async signMany(issuer: string, inputs: (version: number) => Buffer[]): Promise<EdDsaSignatures> {
    const { versions, latest } = this.keysOf(issuer);
    const pair = versions.get(latest) as Ed25519KeyPair;
    const signatures = inputs(latest).map((input) => sign(null, input, pair.privateKey));
    return { version: latest, signatures };
  }

  private keysOf(issuer: string): IssuerKeys {
    const keys = this.issuers.get(issuer);
    if (!keys) {
      throw new AuthError(
        "secret_unavailable",
        `No EdDSA key '${transitKeyName(issuer)}' in memory`,
        {
          hint: "create it first (keys.create(issuer))",
          details: { issuer, key: transitKeyName(issuer) },
        },
      );
    }
    return keys;
  }
}

function newKeyPair(): Ed25519KeyPair {
  return generateKeyPairSync("ed25519");
}
