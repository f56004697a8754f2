/**
 * The small guards around verification: the signature comparison, the issuer-key rule, the
 * header cache, record activity, and configuration that must fail at start-up rather than
 * weaken checks later. Tokens are forged by hand (test/support/forge.ts).
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { decodeUnverified } from "../../src/tokens/decode.js";
import { createHs256SignatureCheck } from "../../src/tokens/hs256.js";
import { jsonShapeProblem } from "../../src/tokens/json-keys.js";
import { isTokenActive, type TokenRecord } from "../../src/tokens/record.js";
import { TokenService, type TokenServiceOptions } from "../../src/tokens/token-service.js";
import { forgeToken } from "../support/forge.js";

const OWN_SECRET = "deposito-own-secret-long-enough-for-hs256-0123456789";

function thrown(run: () => unknown): AuthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error("expected an AuthError");
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, "expected a refusal").toBeInstanceOf(AuthError);
  return outcome as AuthError;
}

function claimsAt(clock: ManualClock, extra: Record<string, unknown> = {}) {
  const now = Math.floor(clock.now() / 1000);
  return {
    jti: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    groups: ["admin"],
    iat: now,
    nbf: now,
    exp: now + 3600,
    aud: "gofr-api",
    ...extra,
  };
}

describe("the HS256 signature comparison", () => {
  const input = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0";
  const good = createHmac("sha256", TEST_SECRET).update(input).digest("base64url");

  it("accepts exactly the canonical MAC and nothing else", () => {
    const check = createHs256SignatureCheck(TEST_SECRET);
    expect(check(input, good)).toBe(true);
    expect(check(`${input}x`, good)).toBe(false);
    expect(check(input, good.slice(0, -1))).toBe(false); // 42 characters
    expect(check(input, `${good}A`)).toBe(false); // 44 characters
    // 43 characters, but a non-ASCII one makes it 44 bytes: refused before comparing.
    expect(check(input, `é${good.slice(1, -1)}`)).toBe(false);
  });

  it("refuses an empty key at construction", () => {
    expect(thrown(() => createHs256SignatureCheck("")).code).toBe("config_invalid");
    expect(thrown(() => createHs256SignatureCheck(Buffer.alloc(0))).code).toBe("config_invalid");
  });
});

describe("an issuer's own key signs only that issuer's tokens", () => {
  async function ring() {
    const clock = new ManualClock();
    const source = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: TEST_SECRET, [issuerSecretName("deposito")]: OWN_SECRET },
      clock: clock.now,
    });
    const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
    const tokens = new TokenService({ keyRing, clock: clock.now });
    return { clock, tokens };
  }

  it("a token signed with deposito's key but claiming no issuer is refused", async () => {
    const { clock, tokens } = await ring();
    const header = { alg: "HS256", typ: "JWT", kid: "deposito.v1" };
    const error = await refusal(tokens.verify(forgeToken(header, claimsAt(clock), OWN_SECRET)));
    expect(error.code).toBe("token_invalid");
    expect(error.message).toContain("'(none)'");
    // The same token claiming deposito is fine: the refusal is about the missing iss.
    const own = forgeToken(
      header,
      claimsAt(clock, { iss: "deposito", groups: ["public"] }),
      OWN_SECRET,
    );
    expect((await tokens.verify(own)).key.version).toBe(1);
  });

  it("a token signed with deposito's key claiming another issuer is refused", async () => {
    const { clock, tokens } = await ring();
    const header = { alg: "HS256", typ: "JWT", kid: "deposito.v1" };
    const token = forgeToken(header, claimsAt(clock, { iss: "negocio" }), OWN_SECRET);
    const error = await refusal(tokens.verify(token));
    expect(error.code).toBe("token_invalid");
    expect(error.message).toContain("'negocio'");
  });
});

describe("the parsed-header cache", () => {
  /** A token whose header is `headerJson` verbatim (spacing included), signed correctly. */
  const signRaw = (headerJson: string, payload: Record<string, unknown>) => {
    const input = `${Buffer.from(headerJson).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
    return `${input}.${createHmac("sha256", TEST_SECRET).update(input).digest("base64url")}`;
  };

  it("stays correct past its size: every distinct header verifies, a bad one stays refused", async () => {
    const clock = new ManualClock();
    const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
    const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
    const bad = signRaw('{"alg":"HS256","typ":"JWS"}', claimsAt(clock));
    expect((await refusal(tokens.verify(bad))).code).toBe("token_invalid");
    // 300 encodings of one valid header (JSON spacing differs): more than the cache holds.
    for (let i = 0; i < 300; i += 1) {
      const header = `{"alg":"HS256",${" ".repeat(i)}"typ":"JWT"}`;
      const { header: parsed } = await tokens.verify(signRaw(header, claimsAt(clock)));
      expect(parsed).toEqual({ alg: "HS256", typ: "JWT" });
    }
    expect((await refusal(tokens.verify(bad))).code).toBe("token_invalid");
    const alg = signRaw(`{"alg":"none",${" ".repeat(5)}"typ":"JWT"}`, claimsAt(clock));
    expect((await refusal(tokens.verify(alg))).code).toBe("token_invalid");
  });
});

describe("isTokenActive", () => {
  const record = (extra: Partial<TokenRecord>): TokenRecord => ({
    id: "x",
    name: null,
    groups: ["admin"],
    status: "active",
    createdAt: new Date(0),
    expiresAt: new Date(10_000),
    revokedAt: null,
    fingerprint: null,
    ...extra,
  });

  it("is true only for an active record before its expiry", () => {
    expect(isTokenActive(record({}), 9_999)).toBe(true);
    expect(isTokenActive(record({}), 10_000)).toBe(false); // expiry is exclusive
    expect(isTokenActive(record({ status: "revoked" }), 0)).toBe(false);
    expect(isTokenActive(record({ expiresAt: null }), Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(isTokenActive(record({ expiresAt: null, status: "revoked" }), 0)).toBe(false);
  });
});

describe("decodeUnverified (diagnostics only)", () => {
  it("refuses a payload that is not a JSON object", () => {
    for (const payload of ["[1,2]", "42", '"text"', "null"]) {
      const token = `${Buffer.from('{"alg":"HS256"}').toString("base64url")}.${Buffer.from(payload).toString("base64url")}.sig`;
      expect(thrown(() => decodeUnverified(token)).code).toBe("token_malformed");
    }
  });
});

describe("jsonShapeProblem on text JSON.parse refused", () => {
  it("ends on an unterminated string instead of looping or throwing", () => {
    for (const text of ['{"a":"open', '{"a":"x\\"', '"']) {
      expect([undefined, "duplicate key"]).toContain(jsonShapeProblem(text, {}));
    }
  });
});

describe("TokenService configuration", () => {
  const provider = makeTestSecretProvider();
  const build = (options: Partial<TokenServiceOptions>) => () =>
    new TokenService({ secretProvider: provider, ...options });

  it("needs a key source", () => {
    expect(thrown(() => new TokenService({})).code).toBe("config_invalid");
  });

  it.each([
    ["an empty audience", { audience: " " }],
    ["an empty issuer", { issuer: "" }],
    ["a negative clock tolerance", { clockToleranceSeconds: -1 }],
    ["a NaN rotation grace", { rotationGraceSeconds: Number.NaN }],
    ["an infinite token size limit", { maxTokenBytes: Number.POSITIVE_INFINITY }],
    ["a negative cache size", { verifiedCacheSize: -5 }],
  ])("refuses %s at start-up", (_label, options) => {
    expect(thrown(build(options as Partial<TokenServiceOptions>)).code).toBe("config_invalid");
  });

  it("refuses an empty issuer for a per-issuer view", () => {
    const tokens = build({})();
    expect(thrown(() => tokens.forIssuer("")).code).toBe("config_invalid");
    expect(tokens.forIssuer("deposito").issuer).toBe("deposito");
  });
});
