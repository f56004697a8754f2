/** Change detection for the embedded store, shared by the secret source and the EdDSA key reader. */
import type { AuthDatabase } from "./database.js";

/**
 * A number that moves whenever the file may have changed since the previous call: another
 * connection committed (`PRAGMA data_version`) or this handle wrote (its write count, which
 * `data_version` ignores). One PRAGMA, no table read.
 */
export class ChangeCounter {
  #generation = 0;
  #seenDataVersion = Number.NaN;
  #seenWrites = Number.NaN;

  constructor(private readonly database: AuthDatabase) {}

  generation(): number {
    const version = this.database.read("check for changes", () => this.database.dataVersion());
    const writes = this.database.writeCount;
    if (version !== this.#seenDataVersion || writes !== this.#seenWrites) {
      this.#generation += 1;
      this.#seenDataVersion = version;
      this.#seenWrites = writes;
    }
    return this.#generation;
  }
}
