import type { PeekedHeader } from "./header.js";
import type { VerifierKey } from "./signed-payload.js";

/**
 * What a verification established about a token, kept so a repeat skips the signature check
 * (HMAC or Ed25519) and JSON.
 */
export interface VerifiedEntry {
  peeked: PeekedHeader;
  /** Deeply frozen: every later verification of the token hands out this same object. */
  payload: unknown;
  /** The key that checked it: a repeat is served only while the same key object is picked. */
  key: VerifierKey;
}

/**
 * Verified tokens, least recently used first. A Map keeps insertion order, which is all an
 * LRU needs.
 */
export class VerifiedCache {
  private readonly entries = new Map<string, VerifiedEntry>();
  constructor(private readonly size: number) {}

  get(token: string): VerifiedEntry | undefined {
    const entry = this.entries.get(token);
    if (entry) {
      this.entries.delete(token);
      this.entries.set(token, entry);
    }
    return entry;
  }

  set(token: string, entry: VerifiedEntry): void {
    this.entries.set(token, entry);
    if (this.entries.size > this.size) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  delete(token: string): void {
    this.entries.delete(token);
  }
}

/**
 * Freezes a `JSON.parse` result and everything in it (depth already bounded by the shape
 * scan). Claims handed to several callers must not be editable by any one of them.
 */
export function deepFreeze<T>(value: T): T {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: Object.isFrozen is true for primitives and null too; the type test only saves its call
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    // for-in allocates no key list; JSON.parse objects have no inherited enumerable keys.
    for (const key in value) deepFreeze(value[key]);
  }
  return value;
}
