/** Small helpers shared by the Vault suites. */
import { expect } from "vitest";
import { AuthError } from "../../src/errors.js";

/** The rejection of `promise`, which must be an AuthError. */
export async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, "expected a rejection").toBeInstanceOf(AuthError);
  return outcome as AuthError;
}

/** Asserts that no message, hint or detail of `error` contains any of `secrets`. */
export function expectNoSecrets(error: AuthError, secrets: readonly string[]): void {
  const text = `${error.message} ${error.hint ?? ""} ${JSON.stringify(error.details)}`;
  for (const secret of secrets) expect(text).not.toContain(secret);
}

/** A random value of 48 characters: a usable HS256 secret. */
export function randomSecret(label = "s"): string {
  return `${label}-${crypto.randomUUID()}-${crypto.randomUUID()}`.slice(0, 48);
}
