/**
 * Edges of the claims checks (src/tokens/check-claims.ts) that the attack catalogue does not
 * reach: the client binding (`fp`) when only one side names a fingerprint, which of two
 * refusals a bad NumericDate gets (missing, or not whole seconds), and the last NumericDate
 * accepted (the last second of year 9999).
 */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { TokenService, type VerifyOptions } from "../../src/tokens/token-service.js";
import { forgeToken } from "../support/forge.js";

function setup() {
  const clock = new ManualClock();
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
  return { clock, tokens };
}

/** The refusal `verify` rejects with, or "accepted". */
async function outcome(
  tokens: TokenService,
  token: string,
  options?: VerifyOptions,
): Promise<AuthError | "accepted"> {
  return tokens.verify(token, options).then(
    () => "accepted" as const,
    (error: unknown) => {
      expect(error).toBeInstanceOf(AuthError);
      return error as AuthError;
    },
  );
}

describe("the fp client binding", () => {
  it("a token bound to a client verifies for that client or without a fingerprint, not for another", async () => {
    const { tokens } = setup();
    const { token } = await tokens.mint({ groups: ["reader"], fingerprint: "client-a" });
    expect(await outcome(tokens, token, { fingerprint: "client-a" })).toBe("accepted");
    expect(await outcome(tokens, token)).toBe("accepted");
    expect(await outcome(tokens, token, { fingerprint: "client-b" })).toMatchObject({
      code: "token_invalid",
      message: "The token is bound to another client (fp mismatch)",
    });
  });

  it("a token without fp verifies when the caller passes a fingerprint (it is bound to nobody)", async () => {
    const { tokens } = setup();
    const { token, claims } = await tokens.mint({ groups: ["reader"] });
    expect(claims.fp).toBeUndefined();
    expect(await outcome(tokens, token, { fingerprint: "client-a" })).toBe("accepted");
  });
});

describe("NumericDate refusals name the problem", () => {
  function tokenWith(clock: ManualClock, iat: unknown): string {
    const now = Math.floor(clock.now() / 1000);
    const claims: Record<string, unknown> = {
      jti: "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4",
      groups: ["reader"],
      nbf: now,
      exp: now + 3600,
      aud: "gofr-api",
    };
    if (iat !== undefined) claims.iat = iat;
    return forgeToken({ alg: "HS256", typ: "JWT" }, claims, TEST_SECRET);
  }

  it("an absent iat is missing; a string or fractional one is not a whole number of seconds", async () => {
    const { clock, tokens } = setup();
    const now = Math.floor(clock.now() / 1000);
    expect(await outcome(tokens, tokenWith(clock, now))).toBe("accepted");
    expect(await outcome(tokens, tokenWith(clock, undefined))).toMatchObject({
      code: "token_invalid",
      message: "The token's iat claim is missing",
    });
    for (const iat of [String(now), now + 0.5]) {
      expect(await outcome(tokens, tokenWith(clock, iat))).toMatchObject({
        code: "token_invalid",
        message: "The token's iat claim is not a whole number of seconds",
      });
    }
  });
});

describe("the latest NumericDate", () => {
  /** 9999-12-31T23:59:59Z: later "dates" are garbage, not long-lived tokens. */
  const LAST_SECOND_OF_9999 = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;

  it("an exp at the last second of year 9999 verifies; one second later is refused", async () => {
    const { clock, tokens } = setup();
    const now = Math.floor(clock.now() / 1000);
    const tokenExpiring = (exp: number) =>
      forgeToken(
        { alg: "HS256", typ: "JWT" },
        {
          jti: "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b",
          groups: ["reader"],
          iat: now,
          nbf: now,
          exp,
          aud: "gofr-api",
        },
        TEST_SECRET,
      );
    expect(await outcome(tokens, tokenExpiring(LAST_SECOND_OF_9999))).toBe("accepted");
    expect(await outcome(tokens, tokenExpiring(LAST_SECOND_OF_9999 + 1))).toMatchObject({
      code: "token_invalid",
      message: "The token's exp claim is not a whole number of seconds",
    });
  });
});
