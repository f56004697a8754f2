/**
 * A header seen before skips the shape regex over the whole token: one regex checks the rest
 * (payload, dot, canonical signature) and anything it does not match goes through the full
 * checks (src/tokens/header.ts). So a token must get the same answer, error code included,
 * whether or not its header is in the cache (error code and message alike).
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { TokenService } from "../../src/tokens/token-service.js";

const b64 = (text: string) => Buffer.from(text).toString("base64url");

function setup() {
  const clock = new ManualClock();
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
  const now = Math.floor(clock.now() / 1000);
  const claims = { jti: "k1", groups: ["public"], iat: now, nbf: now, exp: now + 60 };
  return { tokens, payload: b64(JSON.stringify({ ...claims, aud: "gofr-api" })) };
}

const sign = (input: string) => createHmac("sha256", TEST_SECRET).update(input).digest("base64url");

/** "resolved", or the error's code and message (two refusals with one code can differ). */
async function answerOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "resolved",
    (error: { code: AuthErrorCode; message: string }) => `${error.code}: ${error.message}`,
  );
}

/** Changes to what follows the header's dot, each given the signed token's parts. */
const variants: Array<[string, (payload: string, signature: string) => string]> = [
  ["unchanged", (p, s) => `${p}.${s}`],
  ["a character outside base64url in the payload", (p, s) => `!${p.slice(1)}.${s}`],
  ["a dot inside the payload (four parts)", (p, s) => `${p.slice(0, 8)}.${p.slice(8)}.${s}`],
  ["an empty payload", (_p, s) => `.${s}`],
  ["no signature part", (p) => p],
  ["an empty signature", (p) => `${p}.`],
  ["a 42-character signature", (p, s) => `${p}.${s.slice(0, -1)}`],
  ["a 44-character signature", (p, s) => `${p}.${s}A`],
  ["a non-canonical last signature character", (p, s) => `${p}.${s.slice(0, -1)}B`],
  ["a standard-base64 '+' in the signature", (p, s) => `${p}.+${s.slice(1)}`],
  ["a non-ASCII signature character", (p, s) => `${p}.\u00e9${s.slice(1)}`],
  ["padding after the signature", (p, s) => `${p}.${s}=`],
  ["a trailing newline", (p, s) => `${p}.${s}\n`],
  ["a wrong signature", (p, s) => `${p}.${s.slice(0, 5)}${s[5] === "A" ? "B" : "A"}${s.slice(6)}`],
];

describe("a cached header gives the rest of the token the same checks", () => {
  variants.forEach(([what, change], index) => {
    it(`${what}: the same answer before and after the header is cached`, async () => {
      const { tokens, payload } = setup();
      // A header no other test caches: JSON spacing makes its encoding unique.
      const header = b64(`{"alg":"HS256",${" ".repeat(500 + index)}"typ":"JWT"}`);
      const signature = sign(`${header}.${payload}`);
      const candidate = `${header}.${change(payload, signature)}`;
      const uncached = await answerOf(tokens.verify(candidate));
      expect(await answerOf(tokens.verify(`${header}.${payload}.${signature}`))).toBe("resolved");
      expect(await answerOf(tokens.verify(candidate))).toBe(uncached);
      if (what === "unchanged") expect(uncached).toBe("resolved");
      else expect(uncached).not.toBe("resolved");
    });
  });
});
