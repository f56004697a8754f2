/**
 * The store-checked verify compares the token's groups with its record's as SETS: order
 * and repeats do not matter, anything else does. A token whose groups are a superset, a
 * subset or a different set of its record's is refused (as the Python fleet does:
 * `set(record.groups) != set(groups)`, shared/design/gofr-reference.md section 1.4 step 7).
 */
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { createTestAuthService, ManualClock, TEST_SECRET } from "../../src/testing/index.js";
import type { TokenRecord } from "../../src/tokens/record.js";
import { forgeToken } from "../support/forge.js";

const RECORD_GROUPS = ["admin", "finance"];

async function setup(tokenGroups: string[]) {
  const clock = new ManualClock();
  const { auth, store } = createTestAuthService({ clock: clock.now });
  const now = Math.floor(clock.now() / 1000);
  const jti = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d";
  const record: TokenRecord = {
    id: jti,
    name: null,
    groups: RECORD_GROUPS,
    status: "active",
    createdAt: new Date(clock.now()),
    expiresAt: new Date((now + 3600) * 1000),
    revokedAt: null,
    fingerprint: null,
  };
  await store.insertToken(record);
  const claims = { jti, groups: tokenGroups, iat: now, nbf: now, exp: now + 3600, aud: "gofr-api" };
  return { auth, token: forgeToken({ alg: "HS256", typ: "JWT" }, claims, TEST_SECRET) };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("store check: the token's groups must be the record's set of groups", () => {
  const refused: Array<[string, string[]]> = [
    ["a superset (one group more)", [...RECORD_GROUPS, "ops"]],
    ["a subset (one group fewer)", ["admin"]],
    ["as many groups, one different", ["admin", "ops"]],
    ["a disjoint set", ["ops", "billing"]],
  ];
  for (const [what, groups] of refused) {
    it(`refuses a token whose groups are ${what} of its record's (accepted statelessly)`, async () => {
      const { auth, token } = await setup(groups);
      expect(await codeOf(auth.verifyToken(token))).toBe("token_invalid");
      expect(await codeOf(auth.verifyToken(token, { stateless: true }))).toBe("resolved");
    });
  }

  const accepted: Array<[string, string[]]> = [
    ["in another order", ["finance", "admin"]],
    ["with a group repeated", ["admin", "finance", "admin"]],
  ];
  for (const [what, groups] of accepted) {
    it(`accepts a token whose groups are the record's ${what}`, async () => {
      const { auth, token } = await setup(groups);
      expect(await codeOf(auth.verifyToken(token))).toBe("resolved");
    });
  }
});
