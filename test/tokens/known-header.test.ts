/**
 * A header seen before skips the shape regex over the whole token: one regex checks the rest
 * (payload, dot, canonical signature) and anything it does not match goes through the full
 * checks (src/tokens/header.ts). So a token must get the same answer, error code included,
 * whether or not its header is in the cache (error code and message alike). The cache
 * itself is bounded: a flood of made-up headers must not grow it.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { peekHeader } from "../../src/tokens/header.js";
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

/**
 * Changes to what follows the header's dot, each given the signed token's parts and a
 * signer of another payload (whose signature then matches: only the shape checks refuse it).
 */
type Variant = (payload: string, signature: string, signFor: (payload: string) => string) => string;
const variants: Array<[string, Variant]> = [
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
  // Rests that only a too lenient fast path would let through to the signature check.
  [
    "a signed payload of standard-base64 characters only",
    (_p, _s, signFor) => `+/+/.${signFor("+/+/")}`,
  ],
  ["a two-character signature", (p) => `${p}.AA`],
  ["a signature of 42 standard-base64 characters", (p) => `${p}.${"+".repeat(42)}A`],
];

describe("a cached header gives the rest of the token the same checks", () => {
  variants.forEach(([what, change], index) => {
    it(`${what}: the same answer before and after the header is cached`, async () => {
      const { tokens, payload } = setup();
      // A header no other test caches: JSON spacing makes its encoding unique.
      const header = b64(`{"alg":"HS256",${" ".repeat(500 + index)}"typ":"JWT"}`);
      const signature = sign(`${header}.${payload}`);
      const signFor = (other: string) => sign(`${header}.${other}`);
      const candidate = `${header}.${change(payload, signature, signFor)}`;
      const uncached = await answerOf(tokens.verify(candidate));
      expect(await answerOf(tokens.verify(`${header}.${payload}.${signature}`))).toBe("resolved");
      expect(await answerOf(tokens.verify(candidate))).toBe(uncached);
      if (what === "unchanged") expect(uncached).toBe("resolved");
      else expect(uncached).not.toBe("resolved");
    });
  });
});

describe("the header cache", () => {
  /**
   * The checked header of a token whose header is new for each `n` (the signature is never
   * checked here). A cached header is handed out as the same object, a re-parsed one is new.
   */
  const peek = (n: number) =>
    peekHeader(`${b64(`{"alg":"HS256","kid":"bound-${n}.v1"}`)}.e30.${"A".repeat(43)}`, 8192);

  it("holds at most 256 headers: one more new header starts it afresh", () => {
    // Other tests may have filled it: add new headers until one addition empties it, which
    // leaves exactly two (that one, and the probe read again).
    let probe = peek(0);
    let next = 1;
    let emptied = false;
    while (!emptied && next < 1000) {
      peek(next++);
      const again = peek(0);
      emptied = again !== probe;
      probe = again;
    }
    expect(emptied, "some new header emptied the cache").toBe(true);
    for (let held = 2; held < 256; held += 1) peek(next++);
    expect(peek(0), "the probe is still cached among 256 headers").toBe(probe);
    peek(next++);
    expect(peek(0), "the 257th header emptied the cache").not.toBe(probe);
  });
});
