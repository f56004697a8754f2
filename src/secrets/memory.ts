import { type Clock, systemClock } from "../clock.js";
import { AuthError } from "../errors.js";
import type { SecretVersion, WritableSecretSource } from "./source.js";

export interface MemorySecretSourceOptions {
  /** Initial secrets by name; each becomes version 1. */
  secrets?: Record<string, string>;
  clock?: Clock;
  /**
   * Let providers accept weak values (fixed test secrets such as `TEST_SECRET`). Default
   * true: this source holds what code put in it, for tests and single-process tools.
   */
  allowWeakSecrets?: boolean;
}

/** A versioned in-memory source: every write of a name appends a new version. */
export class MemorySecretSource implements WritableSecretSource {
  readonly description = "memory";
  readonly allowsWeakSecrets: boolean;
  private readonly versions = new Map<string, SecretVersion[]>();
  private readonly clock: Clock;
  /** Reads served so far, by name (tests use it to count store round trips). */
  readonly reads = new Map<string, number>();

  constructor(options: MemorySecretSourceOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.allowsWeakSecrets = options.allowWeakSecrets ?? true;
    for (const [name, value] of Object.entries(options.secrets ?? {})) this.set(name, value);
  }

  /** Synchronous write, handy in tests. Returns the new version. */
  set(name: string, value: string): SecretVersion {
    const list = this.versions.get(name) ?? [];
    const entry = { value, version: list.length + 1, createdAt: new Date(this.clock()) };
    list.push(entry);
    this.versions.set(name, list);
    return { ...entry };
  }

  async write(name: string, value: string): Promise<SecretVersion> {
    return this.set(name, value);
  }

  async writeIfAbsent(name: string, value: string): Promise<SecretVersion | undefined> {
    return this.versions.has(name) ? undefined : this.set(name, value);
  }

  async read(name: string, version?: number): Promise<SecretVersion> {
    this.reads.set(name, (this.reads.get(name) ?? 0) + 1);
    const list = this.versions.get(name);
    const entry = version === undefined ? list?.at(-1) : list?.[version - 1];
    if (!entry) {
      const what = version === undefined ? `'${name}'` : `'${name}' version ${version}`;
      throw new AuthError("secret_unavailable", `No signing secret ${what} in the memory source`, {
        hint: "write it first (source.set(name, value))",
        details: { secret: name, version },
      });
    }
    return { ...entry };
  }

  /** Total reads of `name`. */
  readCount(name: string): number {
    return this.reads.get(name) ?? 0;
  }
}
