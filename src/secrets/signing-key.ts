import { inspect } from "node:util";
import { fingerprint } from "./fingerprint.js";

/**
 * One loaded version of a signing secret. The value is reachable only through `.value`:
 * `JSON.stringify`, `console.log` and `util.inspect` show the fingerprint instead, so an
 * accidental log line cannot leak the secret.
 */
export class SigningKey {
  readonly fingerprint: string;
  readonly #value: string;

  constructor(
    /** The secret's name (store path), e.g. `gofr/config/jwt-signing-secret`. */
    readonly name: string,
    value: string,
    readonly version: number,
    readonly createdAt: Date,
  ) {
    this.#value = value;
    this.fingerprint = fingerprint(value);
  }

  get value(): string {
    return this.#value;
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
    return `SigningKey ${JSON.stringify(this.toJSON())}`;
  }
}
