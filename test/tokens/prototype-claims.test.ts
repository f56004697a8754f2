/**
 * `__proto__`, `constructor` and `prototype` are refused as claim names at any depth, when
 * minting (`extraClaims`) and when verifying. `JSON.parse` turns a `"__proto__"` key into an
 * own property, and code that copies or merges claims into a plain object (`Object.assign`,
 * a deep merge, a spread into an accumulator) would then set a prototype instead of data.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { TokenService } from "../../src/tokens/token-service.js";

const NAMES = ["__proto__", "constructor", "prototype"] as const;

function setup() {
  const clock = new ManualClock();
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
  const now = Math.floor(clock.now() / 1000);
  const claims = `"jti":"p1","groups":["public"],"iat":${now},"nbf":${now},"exp":${now + 60},"aud":"gofr-api"`;
  return { tokens, claims, provider };
}

/** Signs a payload given as JSON text (an object literal would swallow `__proto__`). */
function signText(payload: string): string {
  const input = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url")}.${Buffer.from(payload).toString("base64url")}`;
  return `${input}.${createHmac("sha256", TEST_SECRET).update(input).digest("base64url")}`;
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("verification refuses prototype key names", () => {
  it("control: the same payload with an ordinary extra claim verifies", async () => {
    const { tokens, claims } = setup();
    expect(await codeOf(tokens.verify(signText(`{${claims},"tenant":{"admin":true}}`)))).toBe(
      "resolved",
    );
  });

  for (const name of NAMES) {
    it(`refuses a top-level '${name}' claim`, async () => {
      const { tokens, claims } = setup();
      const token = signText(`{${claims},"${name}":{"admin":true}}`);
      expect(await codeOf(tokens.verify(token))).toBe("token_invalid");
    });

    it(`refuses '${name}' nested in a claim, in an object inside an array`, async () => {
      const { tokens, claims } = setup();
      const token = signText(`{${claims},"tenant":{"roles":[{"${name}":{"admin":true}}]}}`);
      expect(await codeOf(tokens.verify(token))).toBe("token_invalid");
    });
  }

  it("accepts the names as string values (only keys are dangerous)", async () => {
    const { tokens, claims } = setup();
    const token = signText(`{${claims},"note":["__proto__","constructor","prototype"]}`);
    expect(await codeOf(tokens.verify(token))).toBe("resolved");
  });
});

describe("minting refuses prototype key names in extraClaims", () => {
  for (const name of NAMES) {
    it(`refuses '${name}' at the top and nested, before any key is loaded`, async () => {
      const { tokens, provider } = setup();
      const top = JSON.parse(`{"${name}":{"admin":true}}`) as Record<string, unknown>;
      const nested = JSON.parse(`{"tenant":[{"${name}":1}]}`) as Record<string, unknown>;
      expect(await codeOf(tokens.mint({ groups: ["public"], extraClaims: top }))).toBe(
        "claims_reserved",
      );
      expect(await codeOf(tokens.mint({ groups: ["public"], extraClaims: nested }))).toBe(
        "claims_reserved",
      );
      expect(provider.source.readCount(provider.name)).toBe(0);
    });
  }

  it("refuses extraClaims that are not JSON, or nested deeper than verifiers accept", async () => {
    const { tokens } = setup();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await codeOf(tokens.mint({ groups: ["public"], extraClaims: cyclic }))).toBe(
      "invalid_input",
    );
    let deep: unknown = 1;
    for (let i = 0; i < 20; i += 1) deep = [deep];
    expect(await codeOf(tokens.mint({ groups: ["public"], extraClaims: { deep } }))).toBe(
      "invalid_input",
    );
  });

  it("still mints ordinary extra claims, which then verify", async () => {
    const { tokens } = setup();
    const minted = await tokens.mint({ groups: ["public"], extraClaims: { tenant: { id: 7 } } });
    expect((await tokens.verify(minted.token)).claims.tenant).toEqual({ id: 7 });
  });
});
