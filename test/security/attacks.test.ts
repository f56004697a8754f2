/**
 * The catalogue (catalogue.ts) against `verifyToken` in process: each accepted token is
 * accepted, each hostile one refused with the code written next to it in the catalogue.
 * adapters.test.ts sends the same tokens through every HTTP adapter.
 */
import { performance } from "node:perf_hooks";
import { beforeAll, describe, expect, it } from "vitest";
import { AUTH_ERROR_CODES, AuthError } from "../../src/errors.js";
import { createTestAuthService, ManualClock, TEST_SECRET } from "../../src/testing/index.js";
import {
  acceptedTokens,
  BASELINE_JTI,
  CATALOGUE_SERVICE,
  catalogueRecords,
  hostileTokens,
} from "./catalogue.js";

const clock = new ManualClock();
const now = Math.floor(clock.now() / 1000);
const { auth, store } = createTestAuthService({ clock: clock.now, ...CATALOGUE_SERVICE });
const hostile = hostileTokens(TEST_SECRET, now);

beforeAll(async () => {
  for (const record of catalogueRecords(now)) await store.insertToken(record);
});

/** The AuthError a call rejects with, or "accepted". */
async function outcome(promise: Promise<unknown>): Promise<AuthError | "accepted"> {
  return promise.then(
    () => "accepted" as const,
    (error: unknown) => {
      if (error instanceof AuthError) return error;
      throw error;
    },
  );
}

describe("the catalogue itself", () => {
  it("names each entry once and gives each a documented credential code", () => {
    const names = [...acceptedTokens(TEST_SECRET, now), ...hostile].map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    for (const { code, httpCode } of hostile) {
      expect(AUTH_ERROR_CODES[code]).toBe("credentials");
      if (httpCode) expect(AUTH_ERROR_CODES[httpCode]).toBe("credentials");
    }
  });
});

describe("accepted tokens (so each refusal below is its one changed property's doing)", () => {
  for (const { name, token } of acceptedTokens(TEST_SECRET, now)) {
    it(`accepts: ${name}`, async () => {
      const context = await auth.verifyToken(token);
      expect(context.tokenId).toBe(BASELINE_JTI);
    });
  }
});

describe("hostile tokens", () => {
  for (const { name, token, code } of hostile) {
    it(`refuses with ${code}: ${name}`, async () => {
      const error = await outcome(auth.verifyToken(token));
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).code).toBe(code);
      expect((error as AuthError).message).not.toContain(token.slice(0, 60) || "\u0000");
    });
  }

  for (const { name, token, code, store: storeOnly } of hostile) {
    it(`statelessly, ${storeOnly ? "accepts (only the store refuses it)" : `still ${code}`}: ${name}`, async () => {
      const result = await outcome(auth.verifyToken(token, { stateless: true }));
      if (storeOnly) expect(result).toBe("accepted");
      else expect((result as AuthError).code).toBe(code);
    });
  }

  it("rejects oversized tokens before parsing, in under 1 ms each", async () => {
    const { auth: cold, source } = createTestAuthService({ clock: clock.now });
    for (const size of [64 * 1024, 1024 * 1024]) {
      const token = `eyJhbGciOiJIUzI1NiJ9.${"A".repeat(size)}.sig`;
      const started = performance.now();
      const error = await cold.verifyToken(token).catch((caught: AuthError) => caught);
      const elapsed = performance.now() - started;
      expect((error as AuthError).code).toBe("token_too_large");
      expect(elapsed).toBeLessThan(1);
    }
    expect(source.readCount("gofr/config/jwt-signing-secret")).toBe(0);
  });
});
