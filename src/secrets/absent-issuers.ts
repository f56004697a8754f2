import type { Clock } from "../clock.js";

/**
 * Issuers known to have no key, each until its entry expires. Bounded: past `limit` the
 * oldest entry is forgotten, so made-up issuer names cannot fill memory (a forgotten issuer
 * costs one more bounded lookup, nothing else). Shared by the HS256 key ring and the EdDSA
 * public key set.
 */
export class AbsentIssuers {
  /** Issuer -> until when it is known absent. Map order is insertion order: oldest first. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly limit: number,
  ) {}

  has(issuer: string): boolean {
    return (this.until.get(issuer) ?? 0) > this.clock();
  }

  remember(issuer: string): void {
    this.until.delete(issuer); // re-inserted last: the map stays oldest first
    this.until.set(issuer, this.clock() + this.ttlMs);
    if (this.until.size > this.limit) {
      this.until.delete(this.until.keys().next().value as string);
    }
  }

  forget(issuer: string): void {
    this.until.delete(issuer);
  }

  clear(): void {
    this.until.clear();
  }
}
