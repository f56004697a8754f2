/**
 * The HS256 signature compare covers all 43 characters: a token whose signature differs in
 * any one character (still canonical, so the shape check cannot be what refuses it) fails.
 * The last character carries only 4 of its 6 bits (43 * 6 = 258 bits for a 256-bit MAC),
 * so the replacement there is one whose 4 bits differ: index + 4 in the alphabet.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { createHs256SignatureCheck } from "../../src/tokens/hs256.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { changeLastSignatureChar } from "../security/catalogue.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** `signature` with the character at `index` replaced by another one, canonical at the end. */
function changedAt(signature: string, index: number): string {
  if (index === signature.length - 1) return changeLastSignatureChar(signature);
  const char = signature[index] === "A" ? "B" : "A";
  return `${signature.slice(0, index)}${char}${signature.slice(index + 1)}`;
}

function setup() {
  const clock = new ManualClock();
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  return new TokenService({ secretProvider: provider, clock: clock.now });
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("HS256 signature compare", () => {
  it("the last-character replacement is canonical and decodes to other MAC bytes", () => {
    for (const last of "AEIMQUYcgkosw048") {
      const signature = `${"A".repeat(42)}${last}`;
      const changed = changeLastSignatureChar(signature);
      expect(changed.at(-1)).toMatch(/[AEIMQUYcgkosw048]/);
      expect(Buffer.from(changed, "base64url")).not.toEqual(Buffer.from(signature, "base64url"));
      expect(ALPHABET.indexOf(changed.at(-1) as string) % 4).toBe(0);
    }
  });

  it("refuses a signature differing in any single one of its 43 characters", () => {
    const check = createHs256SignatureCheck(TEST_SECRET);
    const input = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0";
    const signature = createHmac("sha256", TEST_SECRET).update(input).digest("base64url");
    expect(check(input, signature)).toBe(true);
    for (let index = 0; index < signature.length; index += 1) {
      expect(check(input, changedAt(signature, index)), `character ${index}`).toBe(false);
    }
  });

  it("TokenService refuses a minted token whose last signature character differs", async () => {
    const tokens = setup();
    const { token } = await tokens.mint({ groups: ["admin"] });
    const cut = token.lastIndexOf(".") + 1;
    const forged = `${token.slice(0, cut)}${changeLastSignatureChar(token.slice(cut))}`;
    expect(await codeOf(tokens.verify(forged))).toBe("token_invalid");
    expect(await codeOf(tokens.verify(token))).toBe("resolved");
  });

  it("TokenService refuses a minted token whose first signature character differs", async () => {
    const tokens = setup();
    const { token } = await tokens.mint({ groups: ["admin"] });
    const cut = token.lastIndexOf(".") + 1;
    expect(
      await codeOf(tokens.verify(`${token.slice(0, cut)}${changedAt(token.slice(cut), 0)}`)),
    ).toBe("token_invalid");
  });
});
