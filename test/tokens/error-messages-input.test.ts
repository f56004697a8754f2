/**
 * The catalogue of refusals of what a caller passes in: what to mint, token names, a
 * TokenService's configuration, and the text given to `tokens inspect`. For each, the code,
 * the message and the hint a library user or an operator reads, spelled out here
 * independently of the code (blanking a message or a hint fails a case). Verification
 * refusals: error-messages.test.ts.
 */
import { describe, it } from "vitest";
import {
  createTestAuthService,
  ManualClock,
  makeTestSecretProvider,
  TEST_SECRET,
} from "../../src/testing/index.js";
import { decodeUnverified } from "../../src/tokens/decode.js";
import { createHs256SignatureCheck } from "../../src/tokens/hs256.js";
import { normalizeTokenName } from "../../src/tokens/record.js";
import { TokenService, type TokenServiceOptions } from "../../src/tokens/token-service.js";
import { type Case, checkRefusal, type Refusal } from "./refusals.js";

const clock = new ManualClock();

function service(options: Partial<TokenServiceOptions> = {}) {
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  return new TokenService({ secretProvider: provider, clock: clock.now, ...options });
}

/** `extraClaims` nested `levels` objects deep below the claims object. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i += 1) value = { inner: value };
  return { deep: value };
}

/** The refusal says exactly `expected`, and quotes no secret. */
function check(refusal: Case) {
  return checkRefusal(refusal, [TEST_SECRET]);
}

/** Header and payload of an unsigned token-shaped text (the decoder checks no signature). */
function unsigned(payloadJson: string): string {
  const part = (text: string) => Buffer.from(text).toString("base64url");
  return `${part('{"alg":"HS256","typ":"JWT"}')}.${part(payloadJson)}.${"A".repeat(43)}`;
}

const GROUPS_HINT = "pass groups such as ['admin'] or ['public']";
const GRANT_HINT =
  "mint it as the operator issuer, or list the issuer in adminIssuers or issuerGroups";
const NAME_HINT = "use 3-64 characters of a-z, 0-9 and '-', e.g. 'billing-api'";
const NOT_DECODED: Refusal = {
  code: "token_malformed",
  message: "The token could not be decoded",
  hint: "pass the whole token: three base64url parts separated by dots",
};
const PROTOTYPE_NAMES = "extraClaims may not use the names __proto__, constructor or prototype";
const PROTOTYPE_HINT = "rename the claim; these names change prototypes in code that merges claims";

const mintRequests: Case[] = [
  {
    name: "minting without groups says to pass some",
    run: () => service().mint({ groups: [] }),
    expected: {
      code: "invalid_input",
      message: "A token needs at least one group",
      hint: GROUPS_HINT,
    },
  },
  {
    name: "AuthService.createToken without groups says the same",
    run: () => createTestAuthService({ clock: clock.now }).auth.createToken({ groups: [] }),
    expected: {
      code: "invalid_input",
      message: "A token needs at least one group",
      hint: GROUPS_HINT,
    },
  },
  {
    name: "a group list holding an empty name is refused, naming the rule",
    run: () => service().mint({ groups: ["public", ""] }),
    expected: {
      code: "invalid_input",
      message: "Every group must be a non-empty string",
      hint: "pass group names such as ['admin'] or ['public']",
    },
  },
  {
    // JavaScript callers are not held to the types.
    name: "a group list holding a name that is not a string is refused the same way as an empty name",
    run: () => service().mint({ groups: ["public", 7 as unknown as string] }),
    expected: {
      code: "invalid_input",
      message: "Every group must be a non-empty string",
      hint: "pass group names such as ['admin'] or ['public']",
    },
  },
  {
    name: "an issuer minting admin names itself and the group, and how to allow it",
    run: () =>
      service()
        .forIssuer("deposito")
        .mint({ groups: ["admin"] }),
    expected: {
      code: "invalid_input",
      message: "Issuer 'deposito' may not grant group 'admin'",
      hint: GRANT_HINT,
    },
  },
  {
    name: "an issuer minting a group outside its issuerGroups names that group",
    run: () =>
      service({ issuerGroups: { deposito: ["deposito"] } })
        .forIssuer("deposito")
        .mint({ groups: ["deposito", "billing"] }),
    expected: {
      code: "invalid_input",
      message: "Issuer 'deposito' may not grant group 'billing'",
      hint: GRANT_HINT,
    },
  },
  {
    name: "a zero lifetime is quoted back",
    run: () => service().mint({ groups: ["public"], expiresInSeconds: 0 }),
    expected: {
      code: "invalid_input",
      message: "expiresInSeconds must be a positive integer, got 0",
    },
  },
  {
    name: "a fractional lifetime is quoted back",
    run: () => service().mint({ groups: ["public"], expiresInSeconds: 1.5 }),
    expected: {
      code: "invalid_input",
      message: "expiresInSeconds must be a positive integer, got 1.5",
    },
  },
  {
    name: "an extra claim with a reserved name names it and points to the mint options",
    run: () => service().mint({ groups: ["public"], extraClaims: { exp: 1 } }),
    expected: {
      code: "claims_reserved",
      message: "extraClaims may not set the 'exp' claim",
      hint: "use the matching mint option (groups, name, subject, fingerprint, expiresInSeconds)",
    },
  },
  {
    name: "a BigInt extra claim says extraClaims must be JSON",
    run: () => service().mint({ groups: ["public"], extraClaims: { quota: BigInt(10) } }),
    expected: {
      code: "invalid_input",
      message: "extraClaims must be JSON (no cycles or BigInt)",
    },
  },
  {
    name: "a cyclic extra claim says extraClaims must be JSON",
    run: () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      return service().mint({ groups: ["public"], extraClaims: cyclic });
    },
    expected: {
      code: "invalid_input",
      message: "extraClaims must be JSON (no cycles or BigInt)",
    },
  },
  {
    name: "a nested prototype key name is refused with the three names and why",
    run: () => service().mint({ groups: ["public"], extraClaims: { profile: { prototype: "x" } } }),
    expected: { code: "claims_reserved", message: PROTOTYPE_NAMES, hint: PROTOTYPE_HINT },
  },
  {
    name: "a top-level __proto__ key is refused the same way",
    run: () =>
      service().mint({ groups: ["public"], extraClaims: JSON.parse('{"__proto__":{"a":1}}') }),
    expected: { code: "claims_reserved", message: PROTOTYPE_NAMES, hint: PROTOTYPE_HINT },
  },
  {
    name: "extra claims nested too deeply say so",
    run: () => service().mint({ groups: ["public"], extraClaims: nested(20) }),
    expected: { code: "invalid_input", message: "extraClaims has a nested too deeply" },
  },
];

const tokenNames: Case[] = [
  {
    name: "an invalid token name is quoted as given, with the allowed form",
    run: () => normalizeTokenName("  Billing API "),
    expected: {
      code: "token_name_invalid",
      message: 'Invalid token name "  Billing API "',
      hint: NAME_HINT,
    },
  },
  {
    name: "AuthService.createToken refuses a too-short name the same way",
    run: () =>
      createTestAuthService({ clock: clock.now }).auth.createToken({
        groups: ["public"],
        name: "x",
      }),
    expected: { code: "token_name_invalid", message: 'Invalid token name "x"', hint: NAME_HINT },
  },
  {
    name: "AuthService.getTokenByName refuses an invalid name the same way",
    run: () => createTestAuthService({ clock: clock.now }).auth.getTokenByName("a_b"),
    expected: { code: "token_name_invalid", message: 'Invalid token name "a_b"', hint: NAME_HINT },
  },
  {
    // `tokens revoke --name <JWT>`: a token pasted where a name belongs is never printed.
    name: "a token given as a name is not quoted back (a name never has a dot)",
    run: () => normalizeTokenName("eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJlcw"),
    expected: {
      code: "token_name_invalid",
      message: "Invalid token name (51 characters with a dot; not quoted)",
      hint: NAME_HINT,
    },
  },
  {
    name: "an invalid name of 64 characters is still quoted whole",
    run: () => normalizeTokenName(`${"n".repeat(63)}_`),
    expected: {
      code: "token_name_invalid",
      message: `Invalid token name "${"n".repeat(63)}_"`,
      hint: NAME_HINT,
    },
  },
  {
    name: "a name longer than any valid one is quoted only up to 64 characters",
    run: () => normalizeTokenName(`${"n".repeat(64)}${"z".repeat(36)}`),
    expected: {
      code: "token_name_invalid",
      message: `Invalid token name "${"n".repeat(64)}"... (100 characters)`,
      hint: NAME_HINT,
    },
  },
];

const configuration: Case[] = [
  {
    name: "a TokenService without keys shows how to pass a secret provider",
    run: () => new TokenService({}),
    expected: {
      code: "config_invalid",
      message: "TokenService needs a secretProvider or a keyRing",
      hint: "pass { secretProvider: new JwtSecretProvider({ source }) }",
    },
  },
  {
    name: "an empty audience is named",
    run: () => service({ audience: "" }),
    expected: { code: "config_invalid", message: "audience must be a non-empty string" },
  },
  {
    // JavaScript callers are not held to the types: a config error, not a TypeError.
    name: "an audience that is not a string is named",
    run: () => service({ audience: 42 as unknown as string }),
    expected: { code: "config_invalid", message: "audience must be a non-empty string" },
  },
  {
    name: "a blank issuer is named",
    run: () => service({ issuer: "  " }),
    expected: { code: "config_invalid", message: "issuer must be a non-empty string" },
  },
  {
    name: "forIssuer with a blank issuer says the same",
    run: () => service().forIssuer(" "),
    expected: { code: "config_invalid", message: "issuer must be a non-empty string" },
  },
  {
    name: "a negative clock tolerance is named and quoted back",
    run: () => service({ clockToleranceSeconds: -1 }),
    expected: {
      code: "config_invalid",
      message: "clockToleranceSeconds must be a number >= 0, got -1",
    },
  },
  {
    name: "a rotation grace that is not a number is named and quoted back",
    run: () => service({ rotationGraceSeconds: Number.NaN }),
    expected: {
      code: "config_invalid",
      message: "rotationGraceSeconds must be a number >= 0, got NaN",
    },
  },
  {
    name: "a negative token size limit is named and quoted back",
    run: () => service({ maxTokenBytes: -1 }),
    expected: { code: "config_invalid", message: "maxTokenBytes must be a number >= 0, got -1" },
  },
  {
    name: "a verified-token cache size that is not a number is named and quoted back",
    run: () => service({ verifiedCacheSize: Number.NaN }),
    expected: {
      code: "config_invalid",
      message: "verifiedCacheSize must be a number >= 0, got NaN",
    },
  },
  {
    // Not reachable through the public API: providers refuse an empty secret first.
    name: "an empty HS256 key is refused by the signature check itself",
    run: () => createHs256SignatureCheck(""),
    expected: { code: "config_invalid", message: "An HS256 key must not be empty" },
  },
];

const inspected: Case[] = [
  {
    name: "an empty token says that no token was given, as verification does",
    run: () => decodeUnverified(""),
    expected: { code: "token_missing", message: "No token was given" },
  },
  {
    name: "an oversized token names the default limit, as verification does",
    run: () => decodeUnverified("x".repeat(8193)),
    expected: { code: "token_too_large", message: "The token is longer than 8192 bytes" },
  },
  {
    name: "an oversized token names a given limit",
    run: () => decodeUnverified(unsigned('{"jti":"x"}'), 40),
    expected: { code: "token_too_large", message: "The token is longer than 40 bytes" },
  },
  {
    name: "text that is not a token says to pass the whole token",
    run: () => decodeUnverified("not-a-token"),
    expected: NOT_DECODED,
  },
  {
    name: "a payload that is not an object says to pass the whole token",
    run: () => decodeUnverified(unsigned("[1]")),
    expected: NOT_DECODED,
  },
];

describe("refusals of what a caller passes in say what is wrong and what to do", () => {
  describe("what a caller asks to mint", () => it.each(mintRequests)("$name", check));
  describe("token names", () => it.each(tokenNames)("$name", check));
  describe("a TokenService's configuration", () => it.each(configuration)("$name", check));
  describe("the unverified decoder of tokens inspect", () => it.each(inspected)("$name", check));
});
