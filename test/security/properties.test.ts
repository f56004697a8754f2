import fc from "fast-check";
import { createSigner, createVerifier } from "fast-jwt";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import {
  createTestAuthService,
  ManualClock,
  makeTestSecretProvider,
  TEST_SECRET,
} from "../../src/testing/index.js";
import { createHs256SignatureCheck, decodeSegment } from "../../src/tokens/hs256.js";
import { TokenService } from "../../src/tokens/token-service.js";
import {
  buildToken,
  describeSpec,
  FAST_JWT_RULES,
  OUR_RULES,
  refusalsOf,
  SPEC_NOW_MS,
  tokenSpec,
} from "./token-specs.js";

const clock = new ManualClock();
const { auth } = createTestAuthService({ clock: clock.now });
await auth.groups.create("finance");
const { token } = await auth.createToken({ groups: ["finance"], name: "prop-test" });

/** A TokenService with the rules token-specs.ts assumes, on its fixed clock. */
function specService(): TokenService {
  const specClock = new ManualClock(SPEC_NOW_MS);
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: specClock.now });
  return new TokenService({ secretProvider: provider, clock: specClock.now, ...OUR_RULES });
}

/** Resolves to "accepted" or the thrown value. */
async function outcome(candidate: string): Promise<"accepted" | unknown> {
  return auth.verifyToken(candidate).then(
    () => "accepted",
    (error: unknown) => error,
  );
}

const TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \n\u00e9";

interface Mutation {
  kind: "replace" | "insert" | "delete";
  at: number;
  char: string;
}

/** `token` with each mutation applied in turn (positions wrap around the current length). */
function mutate(token: string, mutations: readonly Mutation[]): string {
  let mutated = token;
  for (const { kind, at, char } of mutations) {
    const i = at % (mutated.length + 1);
    if (kind === "replace") mutated = mutated.slice(0, i) + char + mutated.slice(i + 1);
    else if (kind === "insert") mutated = mutated.slice(0, i) + char + mutated.slice(i);
    else mutated = mutated.slice(0, i) + mutated.slice(i + 1);
  }
  return mutated;
}

describe("property: the verifier", () => {
  it("accepts the original token", async () => {
    expect(await outcome(token)).toBe("accepted");
  });

  it("never accepts a mutated token unless it is byte-identical", async () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant("replace"),
        at: fc.nat(),
        char: fc.constantFrom(...TOKEN_CHARS),
      }),
      fc.record({
        kind: fc.constant("insert"),
        at: fc.nat(),
        char: fc.constantFrom(...TOKEN_CHARS),
      }),
      fc.record({ kind: fc.constant("delete"), at: fc.nat(), char: fc.constant("") }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        const mutated = mutate(token, mutations);
        const result = await outcome(mutated);
        if (mutated === token) expect(result).toBe("accepted");
        else expect(result).toBeInstanceOf(AuthError);
      }),
      { numRuns: 3000 },
    );
  });

  it("throws nothing but AuthError on arbitrary input", async () => {
    const anyToken = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc
        .tuple(fc.base64String(), fc.base64String(), fc.base64String())
        .map((parts) => parts.join(".")),
      fc
        .json()
        .map(
          (json) =>
            `${Buffer.from(json).toString("base64url")}.${token.split(".")[1]}.${token.split(".")[2]}`,
        ),
      fc
        .json()
        .map(
          (json) =>
            `${token.split(".")[0]}.${Buffer.from(json).toString("base64url")}.${token.split(".")[2]}`,
        ),
    );
    await fc.assert(
      fc.asyncProperty(anyToken, async (candidate) => {
        const result = await outcome(candidate);
        if (candidate !== token) expect(result).toBeInstanceOf(AuthError);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("property: never more lenient than fast-jwt", () => {
  // Verification is ours on node:crypto (docs/decisions.md); fast-jwt, which signs, is the
  // reference it must agree with: every token fast-jwt signs verifies, and no token that
  // fast-jwt's own HS256 verifier, given the same rules, refuses is accepted here.
  it("accepts what fast-jwt signs with the same secret and claims", async () => {
    const sign = createSigner({ key: TEST_SECRET, algorithm: "HS256" });
    const now = Math.floor(clock.now() / 1000);
    await fc.assert(
      fc.asyncProperty(
        fc.uuid(),
        fc.nat({ max: 86_400 }),
        // Claims with __proto__, constructor or prototype keys are refused by our documented
        // rule (docs/security.md), stricter than fast-jwt: not generated here.
        fc
          .dictionary(fc.stringMatching(/^x_[a-z]{1,8}$/), fc.jsonValue({ maxDepth: 3 }))
          .filter((extra) => !/"(__proto__|constructor|prototype)":/.test(JSON.stringify(extra))),
        async (jti, lifetime, extra) => {
          const signed = sign({
            ...extra,
            jti,
            groups: ["finance"],
            iat: now,
            nbf: now,
            exp: now + lifetime + 1,
            aud: "gofr-api",
            iss: "gofr-auth",
            sub: jti,
          });
          const verified = await auth.tokens.verify(signed);
          expect(verified.claims.jti).toBe(jti);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("on well-formed tokens signed by hand, agrees with our rules and with fast-jwt's", async () => {
    // Both verifiers get the same rules (key, HS256, audience, issuer, required claims,
    // clock and tolerance). Every run asserts: our verdict is the spec's (the code too when
    // one field is off); if we accept, fast-jwt accepts (never more lenient); and where the
    // spec breaks only standard rules, fast-jwt's verdict equals ours (both directions).
    const spec = specService();
    const fastVerify = createVerifier(FAST_JWT_RULES);
    const fastAccepts = (candidate: string): boolean => {
      try {
        fastVerify(candidate);
        return true;
      } catch {
        return false;
      }
    };
    const counts = { runs: 0, accepted: 0, codeChecked: 0, bothRefused: 0, oursStricter: 0 };
    await fc.assert(
      fc.asyncProperty(tokenSpec, async (tokenSpecValue) => {
        const token = buildToken(tokenSpecValue);
        const refusals = refusalsOf(tokenSpecValue);
        const ours = await spec.verify(token).then(
          () => "accepted" as const,
          (error: AuthError) => error.code,
        );
        const fast = fastAccepts(token);
        const why = describeSpec(tokenSpecValue);
        counts.runs += 1;

        if (refusals.length === 0) expect(ours, why).toBe("accepted");
        else expect(ours, why).not.toBe("accepted");
        if (refusals.length === 1) {
          expect(ours, why).toBe(refusals[0]?.code);
          counts.codeChecked += 1;
        }
        if (ours === "accepted") {
          expect(fast, `fast-jwt refuses what we accept: ${why}`).toBe(true);
          counts.accepted += 1;
        }
        if (refusals.every(({ rule }) => rule === "standard")) {
          expect(fast, `same rules, other verdict: ${why}`).toBe(ours === "accepted");
          if (!fast) counts.bothRefused += 1;
        } else if (fast) {
          counts.oursStricter += 1;
        }
      }),
      { numRuns: 3000 },
    );
    // The comparisons above ran on a meaningful share of the runs, not on a lucky few.
    expect(counts.runs).toBe(3000);
    expect(counts.accepted / counts.runs).toBeGreaterThan(0.25);
    expect(counts.codeChecked / counts.runs).toBeGreaterThan(0.25);
    expect(counts.bothRefused / counts.runs).toBeGreaterThan(0.15);
    expect(counts.oursStricter / counts.runs).toBeGreaterThan(0.15);
  });
});

describe("RFC 7515 Appendix A.1", () => {
  // The JWS example: HS256 with the octet key given there as a JWK "k" value.
  const key = Buffer.from(
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
    "base64url",
  );
  const jws =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9" +
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ" +
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

  const signingInput = jws.slice(0, jws.lastIndexOf("."));
  const signature = jws.slice(jws.lastIndexOf(".") + 1);

  it("the example's signature verifies with its key through our HS256 check", () => {
    expect(createHs256SignatureCheck(key)(signingInput, signature)).toBe(true);
    const [header, payload] = jws
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(decodeSegment(part)));
    expect(header).toEqual({ typ: "JWT", alg: "HS256" });
    expect(payload).toEqual({ iss: "joe", exp: 1300819380, "http://example.com/is_root": true });
  });

  it("and fails with any other key", () => {
    const other = Buffer.from(key);
    other[0] = (other[0] ?? 0) ^ 1;
    expect(createHs256SignatureCheck(other)(signingInput, signature)).toBe(false);
  });
});
