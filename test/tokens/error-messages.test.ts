/**
 * The catalogue of verification refusals: for each, the code, the message, the hint and the
 * details a library user or an operator reads (the HTTP adapters send only a fixed public
 * text per code; `AuthError` carries all of this). Messages are part of the product ("what
 * went wrong and what to do"), so each one is spelled out here, independently of the code:
 * blanking a message or a hint fails a case. Tokens are signed by hand with node:crypto.
 * Minting, names, configuration and `tokens inspect`'s decoder: error-messages-input.test.ts.
 */
import { createHmac } from "node:crypto";
import { describe, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { KeyRing, type KeyRingOptions } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import {
  createTestAuthService,
  ManualClock,
  makeTestSecretProvider,
  TEST_SECRET,
} from "../../src/testing/index.js";
import { TokenService, type TokenServiceOptions } from "../../src/tokens/token-service.js";
import { type Case, checkRefusal, type Refusal } from "./refusals.js";

const OWN_SECRET = "deposito-own-secret-long-enough-for-hs256-0123456789";
const NEXT_SECRET = "the-shared-secret-after-a-rotation-long-enough-0123456789";
const SECRETS = [TEST_SECRET, OWN_SECRET, NEXT_SECRET];
const HEADER = { alg: "HS256", typ: "JWT" };
/** Longer than the 64 characters a verification refusal quotes of a group name. */
const LONG_GROUP = `reporting-${"x".repeat(80)}`;

/** Never advanced: every case reads the same "now". */
const clock = new ManualClock();
const now = Math.floor(clock.now() / 1000);

/** Every token this file signs: no refusal may quote one. */
const signedTokens: string[] = [];

/** A token signed with HMAC-SHA256; a string header or payload is used as its JSON text. */
function signed(header: object | string, payload: object | string, secret = TEST_SECRET) {
  const part = (value: object | string) =>
    Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
  const input = `${part(header)}.${part(payload)}`;
  const token = `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
  signedTokens.push(token);
  return token;
}

function claims(extra: Record<string, unknown> = {}) {
  return {
    jti: "5b7e2c1a-3d4f-4e6a-8b9c-0d1e2f3a4b5c",
    groups: ["public"],
    iat: now,
    nbf: now,
    exp: now + 3600,
    aud: "gofr-api",
    ...extra,
  };
}

/** A service whose only key is the shared one (`TEST_SECRET`, version 1). */
function sharedService(options: Partial<TokenServiceOptions> = {}) {
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  return new TokenService({ secretProvider: provider, clock: clock.now, ...options });
}

/** A service over a key ring: the shared key plus deposito's own (`OWN_SECRET`). */
function ringService(ring: Partial<KeyRingOptions> = {}) {
  const source = new MemorySecretSource({
    secrets: { [SHARED_SECRET_NAME]: TEST_SECRET, [issuerSecretName("deposito")]: OWN_SECRET },
    clock: clock.now,
  });
  const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger, ...ring });
  return new TokenService({ keyRing, clock: clock.now });
}

/** The refusal says exactly `expected`, quoting no secret or token this file signed. */
function check(refusal: Case) {
  return checkRefusal(refusal, [...SECRETS, ...signedTokens]);
}

const SHARED_KEY_RETIRED: Refusal = {
  code: "issuer_untrusted",
  message: "Tokens signed with the shared key are not accepted here",
  hint: "every issuer signs with its own key now (acceptSharedKey: false); mint a new token",
};
const NOT_CANONICAL: Refusal = {
  code: "token_invalid",
  message: "The token signature is not a canonical HS256 signature",
};
const CLOCKS_HINT = "check the clocks of the minting and verifying machines";
const TRUST_HINT = "add the issuer to trustedIssuers if this service should accept it";

const beforeAnyKey: Case[] = [
  {
    name: "an empty token says that no token was given",
    run: () => sharedService().verify(""),
    expected: { code: "token_missing", message: "No token was given" },
  },
  {
    name: "an oversized token names the configured limit",
    run: () => sharedService({ maxTokenBytes: 100 }).verify(signed(HEADER, claims())),
    expected: { code: "token_too_large", message: "The token is longer than 100 bytes" },
  },
  {
    name: "an oversized token names the default limit of 8 KiB",
    run: () => sharedService().verify("x".repeat(8193)),
    expected: { code: "token_too_large", message: "The token is longer than 8192 bytes" },
  },
  {
    name: "text that is not three base64url parts says so",
    run: () => sharedService().verify("not-a-token.at-all"),
    expected: {
      code: "token_malformed",
      message: "The token is not three base64url parts separated by dots",
    },
  },
  {
    name: "a 42-character signature is not a canonical HS256 signature",
    run: () => sharedService().verify(signed(HEADER, claims()).slice(0, -1)),
    expected: NOT_CANONICAL,
  },
  {
    name: "a 44-character signature is not a canonical HS256 signature",
    run: () => sharedService().verify(`${signed(HEADER, claims())}A`),
    expected: NOT_CANONICAL,
  },
  {
    // "B" is 000001: its last two bits, unused after the 32nd byte, are not zero.
    name: "a 43-character signature with unused bits set is not a canonical HS256 signature",
    run: () => sharedService().verify(`${signed(HEADER, claims()).slice(0, -1)}B`),
    expected: NOT_CANONICAL,
  },
  {
    name: "a header that is not JSON says so",
    run: () => sharedService().verify(signed("{nope", claims())),
    expected: { code: "token_malformed", message: "The token header is not valid JSON" },
  },
  {
    name: "a header that is JSON but not an object says so",
    run: () => sharedService().verify(signed("[]", claims())),
    expected: { code: "token_malformed", message: "The token header is not a JSON object" },
  },
  {
    name: "an unsupported header field is named",
    run: () => sharedService().verify(signed({ ...HEADER, jku: "https://x" }, claims())),
    expected: { code: "token_invalid", message: "The token header field 'jku' is not supported" },
  },
  {
    name: "a long unsupported header field is quoted only up to 20 characters",
    run: () =>
      sharedService().verify(signed({ ...HEADER, "x-very-long-header-field-name": 1 }, claims())),
    expected: {
      code: "token_invalid",
      message: "The token header field 'x-very-long-header-f' is not supported",
    },
  },
  {
    name: "an algorithm other than HS256 is quoted",
    run: () => sharedService().verify(signed({ ...HEADER, alg: "none" }, claims())),
    expected: {
      code: "token_invalid",
      message: 'Algorithm "none" is not allowed; only HS256 and EdDSA are',
    },
  },
  {
    name: "a header without alg says the algorithm is missing",
    run: () => sharedService().verify(signed({ typ: "JWT" }, claims())),
    expected: {
      code: "token_invalid",
      message: "Algorithm missing is not allowed; only HS256 and EdDSA are",
    },
  },
  {
    name: "a long algorithm is quoted only up to 20 characters (of its JSON)",
    run: () =>
      sharedService().verify(signed({ ...HEADER, alg: "HS256-with-a-very-long-suffix" }, claims())),
    expected: {
      code: "token_invalid",
      message: 'Algorithm "HS256-with-a-very-l is not allowed; only HS256 and EdDSA are',
    },
  },
  {
    name: "a header repeating a field says it has a duplicate key",
    run: () => sharedService().verify(signed('{"alg":"HS256","alg":"HS256"}', claims())),
    expected: { code: "token_invalid", message: "The token header has a duplicate key" },
  },
  {
    name: "a typ other than JWT says so",
    run: () => sharedService().verify(signed({ ...HEADER, typ: "JWS" }, claims())),
    expected: { code: "token_invalid", message: "The token type (typ) is not JWT" },
  },
];

const keyChoice: Case[] = [
  {
    name: "a token without kid, where the shared key is retired, says to mint a new one",
    run: () => ringService({ acceptSharedKey: false }).verify(signed(HEADER, claims())),
    expected: SHARED_KEY_RETIRED,
  },
  {
    name: "a token naming the shared key, where it is retired, says the same",
    run: () =>
      ringService({ acceptSharedKey: false }).verify(
        signed({ ...HEADER, kid: "shared.v1" }, claims()),
      ),
    expected: SHARED_KEY_RETIRED,
  },
  {
    name: "a kid not of the form <key>.v<version> shows the expected form",
    run: () => sharedService().verify(signed({ ...HEADER, kid: "nonsense" }, claims())),
    expected: {
      code: "token_invalid",
      message: "The token's kid is not of the form <key>.v<version>",
    },
  },
  {
    name: "a kid naming an untrusted issuer's key names it and says where to trust it",
    run: () =>
      sharedService({ trustedIssuers: ["gofr-auth"] }).verify(
        signed({ ...HEADER, kid: "intruder.v1" }, claims()),
      ),
    expected: {
      code: "issuer_untrusted",
      message: "Tokens signed with 'intruder' keys are not trusted here",
      hint: TRUST_HINT,
    },
  },
  {
    name: "an iss outside trustedIssuers gets the same hint as its key would",
    run: () =>
      sharedService({ trustedIssuers: ["gofr-auth"] }).verify(
        signed(HEADER, claims({ iss: "intruder" })),
      ),
    expected: {
      code: "issuer_untrusted",
      message: "Tokens issued by 'intruder' are not trusted here",
      hint: TRUST_HINT,
    },
  },
  {
    name: "a kid naming an issuer without a key of its own says the fleet lacks that key",
    run: () => ringService().verify(signed({ ...HEADER, kid: "ghost.v1" }, claims())),
    expected: {
      code: "token_invalid",
      message: "Issuer 'ghost' has no signing key of its own",
      hint: "the token was signed with a key this fleet does not have",
    },
  },
  {
    name: "a kid naming a version the store does not have asks where it was minted",
    run: () => sharedService().verify(signed({ ...HEADER, kid: "shared.v5" }, claims())),
    expected: {
      code: "token_invalid",
      message: "The token names key version shared.v5, which is unknown",
      hint: "the secret store does not have that version; was it minted elsewhere?",
    },
  },
  {
    name: "a token signed with a rotated-out version names both versions and says to mint anew",
    run: () => {
      const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
      provider.source.set(SHARED_SECRET_NAME, NEXT_SECRET);
      const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
      return tokens.verify(signed({ ...HEADER, kid: "shared.v1" }, claims()));
    },
    expected: {
      code: "token_invalid",
      message: "The token was signed with key version 1, superseded by version 2",
      hint: "the signing secret was rotated; mint a new token",
    },
  },
];

const signedPayload: Case[] = [
  {
    name: "a signature made with another secret does not match, and says how that happens",
    run: () => sharedService().verify(signed(HEADER, claims(), NEXT_SECRET)),
    expected: {
      code: "token_invalid",
      message: "The token signature does not match",
      hint: "the token was minted with another secret, or altered",
    },
  },
  {
    name: "a signed payload that is not JSON says so",
    run: () => sharedService().verify(signed(HEADER, "{nope")),
    expected: { code: "token_malformed", message: "The token payload is not valid JSON" },
  },
  {
    name: "a signed payload repeating a claim says it has a duplicate key",
    run: () => {
      const text = JSON.stringify(claims()).replace("{", '{"jti":"first",');
      return sharedService().verify(signed(HEADER, text));
    },
    expected: { code: "token_invalid", message: "The token payload has a duplicate key" },
  },
  {
    name: "a signed payload that is a JSON array says it is not an object",
    run: () => sharedService().verify(signed(HEADER, "[1]")),
    expected: { code: "token_malformed", message: "The token payload is not a JSON object" },
  },
];

const claimChecks: Case[] = [
  {
    name: "an expired token says when it expired and to mint a new one",
    run: () => sharedService().verify(signed(HEADER, claims({ exp: now - 3600 }))),
    expected: {
      code: "token_expired",
      message: "The token has expired",
      hint: "mint a new token",
      details: { expired_at: new Date((now - 3600) * 1000).toISOString() },
    },
  },
  {
    name: "a token before its nbf says to check the clocks",
    run: () => sharedService().verify(signed(HEADER, claims({ nbf: now + 3600 }))),
    expected: {
      code: "token_not_yet_valid",
      message: "The token is not valid yet (nbf in the future)",
      hint: CLOCKS_HINT,
    },
  },
  {
    name: "a token issued in the future (iat) says to check the clocks",
    run: () => sharedService().verify(signed(HEADER, claims({ iat: now + 3600 }))),
    expected: {
      code: "token_not_yet_valid",
      message: "The token was issued in the future (iat)",
      hint: CLOCKS_HINT,
    },
  },
  {
    name: "a token for another audience names the expected one and the shared default",
    run: () => sharedService({ audience: "billing-api" }).verify(signed(HEADER, claims())),
    expected: {
      code: "audience_mismatch",
      message: "The token is not for audience 'billing-api'",
      hint: "mint tokens with aud 'billing-api' (the shared default is 'gofr-api')",
    },
  },
  {
    name: "a token without exp says the claim is missing",
    run: () => sharedService().verify(signed(HEADER, claims({ exp: undefined }))),
    expected: { code: "token_invalid", message: "The token's exp claim is missing" },
  },
  {
    name: "a fractional exp says it is not a whole number of seconds",
    run: () => sharedService().verify(signed(HEADER, claims({ exp: now + 0.5 }))),
    expected: {
      code: "token_invalid",
      message: "The token's exp claim is not a whole number of seconds",
    },
  },
  {
    name: "a token without jti says so",
    run: () => sharedService().verify(signed(HEADER, claims({ jti: undefined }))),
    expected: { code: "token_invalid", message: "The token has no jti claim" },
  },
  {
    name: "an empty groups claim says it must be a non-empty list of names",
    run: () => sharedService().verify(signed(HEADER, claims({ groups: [] }))),
    expected: {
      code: "token_invalid",
      message: "The token's groups claim is not a non-empty list of names",
    },
  },
  {
    name: "an issuer's key signing another issuer's token names both",
    run: () =>
      ringService().verify(
        signed({ ...HEADER, kid: "deposito.v1" }, claims({ iss: "billing" }), OWN_SECRET),
      ),
    expected: {
      code: "token_invalid",
      message: "The token claims issuer 'billing' but is signed with 'deposito' key",
      hint: "a service's key signs only its own tokens",
    },
  },
  {
    name: "an issuer using the shared key in strict mode is told to mint once its secret exists",
    run: () => ringService({ strict: true }).verify(signed(HEADER, claims({ iss: "deposito" }))),
    expected: {
      code: "token_invalid",
      message: "Issuer 'deposito' must sign with its own key (strict mode)",
      hint: "mint a new token after the issuer's secret exists",
    },
  },
  {
    name: "a group the issuer may not grant is named, cut to 64 characters",
    run: () =>
      sharedService({ issuerGroups: { deposito: ["deposito"] } }).verify(
        signed(HEADER, claims({ iss: "deposito", groups: [LONG_GROUP] })),
      ),
    expected: {
      code: "issuer_untrusted",
      message: `Issuer 'deposito' may not grant group '${LONG_GROUP.slice(0, 64)}'`,
      hint: "list the issuer in adminIssuers or issuerGroups if it should",
    },
  },
];

describe("TokenService.verify refusals say what is wrong and what to do", () => {
  describe("before any key is read", () => it.each(beforeAnyKey)("$name", check));
  describe("choosing the key", () => it.each(keyChoice)("$name", check));
  describe("the signed payload", () => it.each(signedPayload)("$name", check));
  describe("the claims", () => it.each(claimChecks)("$name", check));
});

describe("AuthService.verifyToken passes the refusal on unchanged", () => {
  it.each<Case>([
    {
      name: "an expired token says when it expired and to mint a new one",
      run: () =>
        createTestAuthService({ clock: clock.now }).auth.verifyToken(
          signed(HEADER, claims({ exp: now - 60 })),
        ),
      expected: {
        code: "token_expired",
        message: "The token has expired",
        hint: "mint a new token",
        details: { expired_at: new Date((now - 60) * 1000).toISOString() },
      },
    },
  ])("$name", check);
});
