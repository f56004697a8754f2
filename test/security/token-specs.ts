/**
 * A generator of well-formed, correctly built tokens for properties.test.ts: each field of
 * header and payload takes a value our rules accept, or (for up to two fields) one they
 * refuse, and the token is signed by hand with the key the spec names. Acceptance is then
 * decided by the header and claim rules, not by a broken encoding.
 *
 * Each refused value says which code our documented rules give it and whether the rule is
 * `standard` (RFC 7515/7519, enforced by fast-jwt configured as in FAST_JWT_RULES too) or
 * `ours` (documented rules stricter than the RFCs: header allowlist, typ, kid, whole-second
 * dates, iat not in the future, required jti/groups, no repeated keys).
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import type { AuthErrorCode } from "../../src/errors.js";
import { TEST_SECRET } from "../../src/testing/index.js";

/** Half a second past a whole second: both verifiers agree exactly at the tolerance edges. */
export const SPEC_NOW_MS = Date.UTC(2026, 0, 15, 10, 30, 0) + 500;
const S = Math.floor(SPEC_NOW_MS / 1000);
const TOLERANCE = 30;

/** fast-jwt's verifier options for the same rules as ours (audience, issuer, tolerance). */
export const FAST_JWT_RULES = {
  key: TEST_SECRET,
  algorithms: ["HS256" as const],
  allowedAud: "gofr-api",
  allowedIss: "gofr-auth",
  requiredClaims: ["exp", "nbf", "iat", "aud", "jti"],
  clockTimestamp: SPEC_NOW_MS,
  clockTolerance: TOLERANCE * 1000,
};
/** Our service's options for the same rules. */
export const OUR_RULES = { trustedIssuers: ["gofr-auth"], clockToleranceSeconds: TOLERANCE };

export type Rule = "standard" | "ours";
export interface Variant {
  label: string;
  /** The field's value; undefined leaves it out. */
  value: unknown;
  refusal?: { code: AuthErrorCode; rule: Rule };
}

const ok = (label: string, value: unknown): Variant => ({ label, value });
const no = (label: string, value: unknown, code: AuthErrorCode, rule: Rule): Variant => ({
  label,
  value,
  refusal: { code, rule },
});
const one = (...variants: Variant[]) => fc.constantFrom(...variants);
const offset = (name: string, min: number, max: number, refusal?: [AuthErrorCode, Rule]) =>
  fc.integer({ min, max }).map((delta) => {
    const label = `${name} now${delta < 0 ? "" : "+"}${delta}`;
    return refusal ? no(label, S + delta, ...refusal) : ok(label, S + delta);
  });
/** Malformed NumericDates: our rule is whole seconds in range. */
const badDates = (name: string, sample: number) =>
  one(
    no(`${name} float`, sample + 0.5, "token_invalid", "ours"),
    no(`${name} string`, String(sample), "token_invalid", "ours"),
    no(`${name} huge`, 1e300, "token_invalid", "ours"),
    no(`${name} negative`, -1, "token_invalid", "ours"),
  );

const FIELDS = {
  key: {
    accepted: one(ok("right key", TEST_SECRET)),
    refused: one(no("wrong key", `${TEST_SECRET}-other`, "token_invalid", "standard")),
  },
  alg: {
    accepted: one(ok("HS256", "HS256")),
    refused: one(
      ...["HS384", "HS512", "RS256", "none", "hs256"].map((alg) =>
        no(`alg ${alg}`, alg, "token_invalid", "standard"),
      ),
    ),
  },
  typ: {
    accepted: one(ok("no typ", undefined), ok("typ JWT", "JWT"), ok("typ jwt", "jwt")),
    refused: one(
      ...["JWE", "at+jwt", "application/jwt", 1].map((typ) =>
        no(`typ ${typ}`, typ, "token_invalid", "ours"),
      ),
    ),
  },
  kid: {
    accepted: one(ok("no kid", undefined), ok("kid shared.v1", "shared.v1")),
    refused: one(
      ...["shared.v2", "shared.v0", "gofr-auth.v1", "shared", 5].map((kid) =>
        no(`kid ${kid}`, kid, "token_invalid", "ours"),
      ),
      no("kid deposito.v1", "deposito.v1", "issuer_untrusted", "ours"),
    ),
  },
  headerExtra: {
    accepted: one(ok("no other header", {})),
    refused: one(
      no("jku header", { jku: "https://attacker.example/k" }, "token_invalid", "ours"),
      no("x5u header", { x5u: "https://attacker.example/c" }, "token_invalid", "ours"),
      no("cty header", { cty: "JWT" }, "token_invalid", "ours"),
      no("crit unknown", { crit: ["exp-x"], "exp-x": 1 }, "token_invalid", "standard"),
    ),
  },
  exp: {
    accepted: fc.oneof(offset("exp", -TOLERANCE + 1, -TOLERANCE + 2), offset("exp", 0, 86_400)),
    refused: fc.oneof(
      offset("exp", -TOLERANCE - 1, -TOLERANCE, ["token_expired", "standard"]),
      offset("exp", -86_400, -TOLERANCE, ["token_expired", "standard"]),
      one(no("exp missing", undefined, "token_invalid", "standard")),
      badDates("exp", S + 100),
    ),
  },
  nbf: {
    accepted: fc.oneof(offset("nbf", TOLERANCE - 1, TOLERANCE), offset("nbf", -86_400, 0)),
    refused: fc.oneof(
      offset("nbf", TOLERANCE + 1, TOLERANCE + 2, ["token_not_yet_valid", "standard"]),
      offset("nbf", TOLERANCE + 1, 86_400, ["token_not_yet_valid", "standard"]),
      one(no("nbf missing", undefined, "token_invalid", "standard")),
      badDates("nbf", S - 100),
    ),
  },
  iat: {
    accepted: fc.oneof(offset("iat", TOLERANCE - 1, TOLERANCE), offset("iat", -86_400, 0)),
    refused: fc.oneof(
      // RFC 7519 leaves a future iat to the verifier; we refuse it like nbf (as PyJWT does).
      offset("iat", TOLERANCE + 1, 86_400, ["token_not_yet_valid", "ours"]),
      one(no("iat missing", undefined, "token_invalid", "standard")),
      badDates("iat", S - 100),
    ),
  },
  aud: {
    accepted: one(
      ok("aud ours", "gofr-api"),
      ok("aud [ours]", ["gofr-api"]),
      ok("aud [other, ours]", ["other-api", "gofr-api"]),
    ),
    refused: one(
      ...[undefined, "other-api", "GOFR-API", ["other-api"], [], 7, ["gofr-api", 7]].map((aud) =>
        no(`aud ${JSON.stringify(aud)}`, aud, "audience_mismatch", "standard"),
      ),
    ),
  },
  iss: {
    accepted: one(ok("no iss", undefined), ok("iss gofr-auth", "gofr-auth")),
    refused: one(
      no("iss attacker", "attacker", "issuer_untrusted", "standard"),
      no("iss with a space", "gofr-auth ", "issuer_untrusted", "standard"),
      no("iss number", 7, "token_invalid", "standard"),
    ),
  },
  jti: {
    accepted: fc.uuid().map((jti) => ok("jti uuid", jti)),
    refused: one(
      no("jti missing", undefined, "token_invalid", "standard"),
      no("jti empty", "", "token_invalid", "ours"),
      no("jti number", 5, "token_invalid", "ours"),
    ),
  },
  groups: {
    accepted: one(ok("groups [finance]", ["finance"]), ok("groups [a, b]", ["a", "b"])),
    refused: one(
      ...[undefined, [], "admin", [1], [""]].map((groups) =>
        no(`groups ${JSON.stringify(groups)}`, groups, "token_invalid", "ours"),
      ),
    ),
  },
  sub: {
    accepted: one(ok("no sub", undefined), ok("sub svc-a", "svc-a")),
    refused: one(no("sub number", 5, "token_invalid", "ours")),
  },
  duplicate: {
    accepted: one(ok("no repeated key", false)),
    refused: one(no("a repeated key", true, "token_invalid", "ours")),
  },
} satisfies Record<string, { accepted: fc.Arbitrary<Variant>; refused: fc.Arbitrary<Variant> }>;

export type FieldName = keyof typeof FIELDS;
const NAMES = Object.keys(FIELDS) as FieldName[];
const CLAIMS = ["jti", "groups", "iat", "nbf", "exp", "aud", "iss", "sub"] as const;

export interface TokenSpec {
  /** The fields given a refused value (0, 1 or 2 of them). */
  perturbed: FieldName[];
  variants: Record<FieldName, Variant>;
}

export const tokenSpec: fc.Arbitrary<TokenSpec> = fc
  .integer({ min: 0, max: 2 })
  .chain((count) => fc.shuffledSubarray(NAMES, { minLength: count, maxLength: count }))
  .chain((perturbed) => {
    const pick = (name: FieldName) =>
      perturbed.includes(name) ? FIELDS[name].refused : FIELDS[name].accepted;
    const variants = Object.fromEntries(NAMES.map((name) => [name, pick(name)]));
    return fc
      .record(variants as Record<FieldName, fc.Arbitrary<Variant>>)
      .map((chosen) => ({ perturbed, variants: chosen }));
  });

/** The refusals the spec's perturbed fields carry. */
export function refusalsOf(spec: TokenSpec): Array<{ code: AuthErrorCode; rule: Rule }> {
  return spec.perturbed.map((name) => spec.variants[name].refusal as Variant["refusal"] & {});
}

export function describeSpec(spec: TokenSpec): string {
  return NAMES.map((name) => spec.variants[name].label).join(", ");
}

const HASHES: Record<string, string> = { HS384: "sha384", HS512: "sha512" };
const enc = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/** The compact token the spec describes, signed by hand with the spec's key and alg's hash. */
export function buildToken(spec: TokenSpec): string {
  const v = spec.variants;
  const header: Record<string, unknown> = { alg: v.alg.value };
  if (v.typ.value !== undefined) header.typ = v.typ.value;
  if (v.kid.value !== undefined) header.kid = v.kid.value;
  Object.assign(header, v.headerExtra.value);
  const claims: Record<string, unknown> = {};
  for (const name of CLAIMS) if (v[name].value !== undefined) claims[name] = v[name].value;
  let payload = JSON.stringify(claims);
  // At most two fields are perturbed, so several claims are always there to follow.
  if (v.duplicate.value) payload = `{"x_dup":1,"x_dup":2,${payload.slice(1)}`;
  const input = `${enc(JSON.stringify(header))}.${enc(payload)}`;
  const hash = HASHES[v.alg.value as string] ?? "sha256";
  const signature = createHmac(hash, v.key.value as string)
    .update(input)
    .digest("base64url");
  return `${input}.${signature}`;
}
