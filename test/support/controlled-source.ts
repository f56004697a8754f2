import { AuthError } from "../../src/errors.js";
import type { SecretSource, SecretVersion } from "../../src/secrets/source.js";

/**
 * A secret source whose reads tests can hold open and release, or make fail, so that
 * concurrency and timing are controlled by the test instead of by sleeps.
 */
export class ControlledSource implements SecretSource {
  readonly description = "controlled test source";
  /** Tests hold fixed values here, among them the public `TEST_SECRET`. */
  readonly allowsWeakSecrets = true;
  reads = 0;
  private value: string;
  private version = 1;
  private held: Array<() => void> = [];
  private holding = false;
  private failure: Error | undefined;

  constructor(value: string) {
    this.value = value;
  }

  /** Replace the value (a new version), as a rotation would. */
  rotate(value: string): void {
    this.value = value;
    this.version += 1;
  }

  /** Reads started from now on wait until `release()`. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    const waiting = this.held;
    this.held = [];
    for (const resume of waiting) resume();
  }

  /** Reads waiting on `hold()`. */
  get waiting(): number {
    return this.held.length;
  }

  failWith(error: Error | undefined): void {
    this.failure = error;
  }

  async read(_name: string): Promise<SecretVersion> {
    this.reads += 1;
    if (this.holding) await new Promise<void>((resume) => this.held.push(resume));
    if (this.failure) throw this.failure;
    return { value: this.value, version: this.version, createdAt: new Date(0) };
  }
}

export const unreachable = () =>
  new AuthError("vault_unreachable", "GET /v1/secret/data/x failed: connection refused");
