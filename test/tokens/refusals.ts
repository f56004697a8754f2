import { expect } from "vitest";
import { AuthError, type AuthErrorCode } from "../../src/errors.js";

/** What a refusal must say. `message` is the text before the appended hint. */
export interface Refusal {
  code: AuthErrorCode;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export interface Case {
  name: string;
  run: () => unknown;
  expected: Refusal;
}

/**
 * The refusal `run` throws or rejects with says exactly `expected`, and its message, hint
 * and details quote none of `forbidden` (secrets, tokens).
 */
export async function checkRefusal({ run, expected }: Case, forbidden: readonly string[]) {
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  expect(error, "expected a refusal").toBeInstanceOf(AuthError);
  const { code, message, hint, details } = error as AuthError;
  expect(code).toBe(expected.code);
  if (expected.hint !== undefined) {
    expect(hint).toBe(expected.hint);
    expect(message).toBe(`${expected.message} (hint: ${expected.hint})`);
  } else {
    // No hint promised: the message is the text before whatever hint may be appended.
    expect(hint ? message.slice(0, -` (hint: ${hint})`.length) : message).toBe(expected.message);
  }
  if (expected.details !== undefined) expect(details).toEqual(expected.details);
  const said = JSON.stringify({ message, hint, details });
  for (const secret of forbidden) expect(said).not.toContain(secret);
}
