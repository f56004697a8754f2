/**
 * The verified-token cache hands every verification of a token the same claims object, so
 * that object is deeply frozen: a caller that edits `groups`, `exp` or a nested claim must
 * not change what later verifications (of other callers) return. ESM code is strict, so an
 * edit throws a TypeError instead of silently failing.
 */
import { describe, expect, it } from "vitest";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { TokenService } from "../../src/tokens/token-service.js";

async function setup(verifiedCacheSize?: number) {
  const clock = new ManualClock();
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  const tokens = new TokenService({
    secretProvider: provider,
    clock: clock.now,
    verifiedCacheSize,
  });
  const minted = await tokens.mint({
    groups: ["billing"],
    expiresInSeconds: 60,
    extraClaims: { tenant: { roles: ["reader"] } },
  });
  return { clock, tokens, token: minted.token };
}

/** Tries every edit a careless caller might make; returns how many took effect. */
function tryEdits(claims: Record<string, unknown>): number {
  const edits = [
    () => (claims.groups as string[]).push("admin"),
    () => {
      (claims.groups as string[])[0] = "admin";
    },
    () => {
      claims.exp = (claims.exp as number) + 86_400;
    },
    () => {
      ((claims.tenant as { roles: string[] }).roles as string[]).push("writer");
    },
    () => {
      claims.injected = true;
    },
  ];
  let applied = 0;
  for (const edit of edits) {
    try {
      edit();
      applied += 1;
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
    }
  }
  return applied;
}

describe("claims from the verified-token cache", () => {
  it("cannot be edited by one caller to change what the next verification returns", async () => {
    const { tokens, token } = await setup();
    const first = await tokens.verify(token); // cold: parsed, then cached
    const expected = structuredClone(first.claims);
    expect(tryEdits(first.claims)).toBe(0);
    const second = await tokens.verify(token); // a cache hit
    expect(tryEdits(second.claims)).toBe(0);
    const third = await tokens.verify(token);
    expect(third.claims).toEqual(expected);
    expect(third.claims.groups).toEqual(["billing"]);
  });

  it("an expired token stays expired whatever a caller did to an earlier result", async () => {
    const { clock, tokens, token } = await setup();
    const { claims } = await tokens.verify(token);
    try {
      claims.exp += 86_400;
    } catch {
      // frozen: the edit is refused
    }
    clock.advanceSeconds(60 + 30);
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: "token_expired" });
  });

  it("with the cache off every call parses afresh, so results are independent", async () => {
    const { tokens, token } = await setup(0);
    const first = await tokens.verify(token);
    first.claims.groups.push("admin");
    const second = await tokens.verify(token);
    expect(second.claims.groups).toEqual(["billing"]);
    expect(second.claims).not.toBe(first.claims);
  });
});
