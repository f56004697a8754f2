/**
 * The token-size limit on both sides: a correctly signed token of exactly the limit is
 * processed (and accepted), one character more is refused `token_too_large` before the
 * key is read. The default limit is the documented 8 KiB, written out here on purpose.
 */
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { decodeUnverified } from "../../src/tokens/decode.js";
import { TokenService, type TokenServiceOptions } from "../../src/tokens/token-service.js";
import { tokenOfLength } from "../support/sized-token.js";

const DOCUMENTED_LIMIT = 8192;

function setup(options: Partial<TokenServiceOptions> = {}) {
  const clock = new ManualClock();
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  const tokens = new TokenService({ secretProvider: provider, clock: clock.now, ...options });
  const now = Math.floor(clock.now() / 1000);
  const claims = {
    jti: "3f1e2d3c-4b5a-4697-8887-766554433221",
    groups: ["admin"],
    iat: now,
    nbf: now,
    exp: now + 600,
    aud: "gofr-api",
  };
  const reads = () => provider.source.readCount(provider.name);
  return { tokens, claims, reads };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("token size limit", () => {
  it("by default, a token of exactly 8192 characters is verified", async () => {
    const { tokens, claims } = setup();
    const token = tokenOfLength(claims, TEST_SECRET, DOCUMENTED_LIMIT);
    expect(token).toHaveLength(DOCUMENTED_LIMIT);
    expect((await tokens.verify(token)).claims.jti).toBe(claims.jti);
  });

  it("by default, a token of 8193 characters is refused token_too_large, before the key is read", async () => {
    const { tokens, claims, reads } = setup();
    const token = tokenOfLength(claims, TEST_SECRET, DOCUMENTED_LIMIT + 1);
    expect(await codeOf(tokens.verify(token))).toBe("token_too_large");
    expect(reads()).toBe(0);
  });

  it("a configured maxTokenBytes is the same boundary: equal is processed, one more refused", async () => {
    const { tokens, claims, reads } = setup({ maxTokenBytes: 1000 });
    expect(await codeOf(tokens.verify(tokenOfLength(claims, TEST_SECRET, 1001)))).toBe(
      "token_too_large",
    );
    expect(reads()).toBe(0);
    expect(await codeOf(tokens.verify(tokenOfLength(claims, TEST_SECRET, 1000)))).toBe("resolved");
  });

  it("decodeUnverified (tokens inspect) has the same default boundary", () => {
    const { claims } = setup();
    const atLimit = tokenOfLength(claims, TEST_SECRET, DOCUMENTED_LIMIT);
    expect(decodeUnverified(atLimit).payload.jti).toBe(claims.jti);
    const over = tokenOfLength(claims, TEST_SECRET, DOCUMENTED_LIMIT + 1);
    expect(() => decodeUnverified(over)).toThrow(
      expect.objectContaining({ code: "token_too_large" }),
    );
  });
});
