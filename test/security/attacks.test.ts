import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { AUTH_ERROR_CODES, AuthError } from "../../src/errors.js";
import { createTestAuthService, ManualClock, TEST_SECRET } from "../../src/testing/index.js";
import { hostileTokens, sign, validClaims } from "./catalogue.js";

const clock = new ManualClock();
const now = Math.floor(clock.now() / 1000);
const { auth, store } = createTestAuthService({ clock: clock.now });

describe("hostile tokens", () => {
  it("the catalogue's baseline token is accepted (so rejections below are meaningful)", async () => {
    const claims = validClaims(now);
    const baseline = sign({ alg: "HS256", typ: "JWT" }, claims, TEST_SECRET);
    const context = await auth.verifyToken(baseline, { stateless: true });
    expect(context.tokenId).toBe(claims.jti);
  });

  for (const { name, token } of hostileTokens(TEST_SECRET, now)) {
    it(`rejects: ${name}`, async () => {
      const error = await auth.verifyToken(token, { stateless: true }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AuthError);
      const { code, category, message } = error as AuthError;
      expect(category).toBe("credentials");
      expect(Object.keys(AUTH_ERROR_CODES)).toContain(code);
      expect(message).not.toContain(token.slice(0, 60) || "\u0000");
    });
  }

  it("rejects oversized tokens before parsing, in under 1 ms each", async () => {
    for (const size of [64 * 1024, 1024 * 1024]) {
      const token = `eyJhbGciOiJIUzI1NiJ9.${"A".repeat(size)}.sig`;
      const started = performance.now();
      const error = await auth.verifyToken(token).catch((caught: AuthError) => caught);
      const elapsed = performance.now() - started;
      expect((error as AuthError).code).toBe("token_too_large");
      expect(elapsed).toBeLessThan(1);
    }
    expect(await store.listTokens()).toEqual([]);
  });
});
