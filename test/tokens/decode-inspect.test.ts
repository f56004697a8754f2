/**
 * `decodeUnverified` (public, and what `tokens inspect` shows) is called from JavaScript too,
 * where nothing stops a caller from passing no token at all. It must then refuse with an
 * AuthError like every other bad input, not crash on `.length` with a TypeError. The size
 * boundary itself is in size-limit.test.ts; a payload that is not an object in
 * verify-guards.test.ts.
 */
import { describe, expect, it } from "vitest";
import { isAuthError } from "../../src/errors.js";
import { decodeUnverified } from "../../src/tokens/decode.js";

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected decodeUnverified to throw");
}

describe("decodeUnverified on something that is not a string", () => {
  it("refuses undefined, null and the empty string as a missing token, not with a TypeError", () => {
    for (const token of [undefined, null, ""]) {
      const error = thrownBy(() => decodeUnverified(token as unknown as string));
      expect(isAuthError(error, "token_missing"), String(error)).toBe(true);
    }
  });
});
