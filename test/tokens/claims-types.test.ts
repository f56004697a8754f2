/**
 * `sub`, `fp` and `name` are optional, but when present they must be strings: a service
 * reads them as the caller's identity and client binding, and Python's PyJWT fleet would
 * compare them as strings too. A signed token with any other JSON type there is refused
 * (`token_invalid`, naming the claim) before any of it reaches the caller.
 */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { TokenService, type VerifyOptions } from "../../src/tokens/token-service.js";
import { forgeToken } from "../support/forge.js";

const HEADER = { alg: "HS256", typ: "JWT" };

function setup() {
  const clock = new ManualClock();
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
  const now = Math.floor(clock.now() / 1000);
  /** A correctly signed token whose claims are the valid baseline plus `extra`. */
  const signed = (extra: Record<string, unknown>) =>
    forgeToken(
      HEADER,
      {
        jti: "3f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b",
        groups: ["admin"],
        iat: now,
        nbf: now,
        exp: now + 3600,
        aud: "gofr-api",
        ...extra,
      },
      TEST_SECRET,
    );
  return { tokens, signed };
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, "expected the token to be refused").toBeInstanceOf(AuthError);
  return outcome as AuthError;
}

const NOT_STRINGS: ReadonlyArray<[string, unknown]> = [
  ["a number", 42],
  ["null", null],
  ["a boolean", true],
  ["an object", { id: "billing-api" }],
  ["a list", ["billing-api"]],
];

describe("sub, fp and name claim types", () => {
  for (const claim of ["sub", "fp", "name"] as const) {
    it.each(NOT_STRINGS)(`refuses a signed token whose ${claim} is %s`, async (_label, value) => {
      const { tokens, signed } = setup();
      const error = await refusal(tokens.verify(signed({ [claim]: value })));
      expect(error.code).toBe("token_invalid");
      expect(error.message).toBe(`The token's ${claim} claim is not a string`);
    });
  }

  it("accepts string values and returns them as given", async () => {
    const { tokens, signed } = setup();
    const verified = await tokens.verify(
      signed({ sub: "billing-api", fp: "device-1", name: "billing-api" }),
    );
    expect(verified.claims).toMatchObject({
      sub: "billing-api",
      fp: "device-1",
      name: "billing-api",
    });
  });

  it("accepts a token without them (the Python fleet mints none of the three)", async () => {
    const { tokens, signed } = setup();
    const { claims } = await tokens.verify(signed({}));
    expect(claims.sub).toBeUndefined();
    expect(claims.fp).toBeUndefined();
    expect(claims.name).toBeUndefined();
  });

  it("a non-string fp is refused even when the caller binds no client", async () => {
    // The type check runs before, and independently of, the fingerprint comparison.
    const { tokens, signed } = setup();
    for (const options of [{}, { fingerprint: "42" }] satisfies VerifyOptions[]) {
      const error = await refusal(tokens.verify(signed({ fp: 42 }), options));
      expect(error.message).toContain("fp claim is not a string");
    }
  });

  it("fp binds the token to its client: another fingerprint is refused", async () => {
    const { tokens, signed } = setup();
    const token = signed({ fp: "device-1" });
    expect((await tokens.verify(token, { fingerprint: "device-1" })).claims.fp).toBe("device-1");
    const error = await refusal(tokens.verify(token, { fingerprint: "device-2" }));
    expect(error.code).toBe("token_invalid");
    expect(error.message).toContain("fp mismatch");
  });

  it("the check also holds on a repeat of a token first verified without binding", async () => {
    // The verified-token cache must not skip the fingerprint comparison.
    const { tokens, signed } = setup();
    const token = signed({ fp: "device-1" });
    await tokens.verify(token);
    expect((await refusal(tokens.verify(token, { fingerprint: "device-2" }))).code).toBe(
      "token_invalid",
    );
  });

  it("a non-string iss is refused like the others", async () => {
    const { tokens, signed } = setup();
    const error = await refusal(tokens.verify(signed({ iss: 7 })));
    expect(error.code).toBe("token_invalid");
    expect(error.message).toContain("iss claim is not a string");
  });
});
