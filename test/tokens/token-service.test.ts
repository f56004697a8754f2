import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { fingerprint } from "../../src/secrets/fingerprint.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { TokenService, type TokenServiceOptions } from "../../src/tokens/token-service.js";
import { ControlledSource, unreachable } from "../support/controlled-source.js";
import { decodePart, forgeToken, unsignedToken, withPayload } from "../support/forge.js";

const OTHER_SECRET = "another-secret-that-is-long-enough-to-be-used-0123";

function setup(options: Partial<TokenServiceOptions> = {}) {
  const clock = new ManualClock();
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  const tokens = new TokenService({ secretProvider: provider, clock: clock.now, ...options });
  return { clock, provider, tokens };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    return (error as { code: AuthErrorCode }).code;
  }
}

function claimsAt(clock: ManualClock, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(clock.now() / 1000);
  return {
    jti: "9f0c6f9e-2a4b-4f4e-8d8a-1a2b3c4d5e6f",
    groups: ["admin"],
    iat: now,
    nbf: now,
    exp: now + 3600,
    aud: "gofr-api",
    ...overrides,
  };
}

describe("TokenService.mint", () => {
  it("mints the claims and header the fleet expects", async () => {
    const { clock, tokens } = setup();
    const { token, claims, record, kid } = await tokens.mint({
      groups: ["admin", "finance"],
      name: "billing-api",
      fingerprint: "device-1",
    });
    const now = Math.floor(clock.now() / 1000);
    expect(decodePart(token, 0)).toEqual({ alg: "HS256", typ: "JWT", kid: "shared.v1" });
    expect(kid).toBe("shared.v1");
    const payload = decodePart(token, 1);
    expect(payload).toEqual({
      jti: record.id,
      groups: ["admin", "finance"],
      iat: now,
      nbf: now,
      exp: now + 30 * 24 * 3600,
      aud: "gofr-api",
      iss: "gofr-auth",
      sub: "billing-api",
      name: "billing-api",
      fp: "device-1",
    });
    expect(claims).toEqual(payload);
    expect(record).toEqual({
      id: payload.jti,
      name: "billing-api",
      groups: ["admin", "finance"],
      status: "active",
      createdAt: new Date(clock.now()),
      expiresAt: new Date((now + 30 * 24 * 3600) * 1000),
      revokedAt: null,
      fingerprint: "device-1",
      issuer: "gofr-auth",
      keyLabel: "shared",
    });
    expect(record.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("times come from the epoch clock whatever the process time zone", async () => {
    const previous = process.env.TZ;
    process.env.TZ = "Asia/Singapore";
    try {
      const { clock, tokens } = setup();
      const { claims } = await tokens.mint({ groups: ["public"], expiresInSeconds: 60 });
      expect(claims.iat).toBe(Date.UTC(2026, 0, 15, 10, 30, 0) / 1000);
      expect(claims.exp).toBe(Math.floor(clock.now() / 1000) + 60);
    } finally {
      process.env.TZ = previous;
    }
  });

  it("refuses reserved extra claims, empty groups and bad lifetimes", async () => {
    const { tokens } = setup();
    expect(await codeOf(tokens.mint({ groups: ["a"], extraClaims: { exp: 1 } }))).toBe(
      "claims_reserved",
    );
    expect(await codeOf(tokens.mint({ groups: [] }))).toBe("invalid_input");
    expect(await codeOf(tokens.mint({ groups: ["a"], expiresInSeconds: 0 }))).toBe("invalid_input");
    expect(await codeOf(tokens.mint({ groups: ["a"], expiresInSeconds: 1.5 }))).toBe(
      "invalid_input",
    );
  });

  it("keeps allowed extra claims and drops duplicate groups", async () => {
    const { tokens } = setup();
    const { claims } = await tokens.mint({
      groups: ["a", "b", "a"],
      extraClaims: { tenant: "t1" },
    });
    expect(claims.groups).toEqual(["a", "b"]);
    expect(claims.tenant).toBe("t1");
  });
});

describe("TokenService.verify", () => {
  it("round trip: a minted token verifies with its claims and key", async () => {
    const { tokens } = setup();
    const minted = await tokens.mint({ groups: ["admin"], subject: "svc-a" });
    const verified = await tokens.verify(minted.token);
    expect(verified.claims).toEqual(minted.claims);
    expect(verified.header.kid).toBe("shared.v1");
    expect(verified.key).toEqual({
      name: "gofr/config/jwt-signing-secret",
      version: 1,
      fingerprint: fingerprint(TEST_SECRET),
      algorithm: "HS256",
    });
  });

  it("rejects an expired token, allowing the clock tolerance", async () => {
    const { clock, tokens } = setup();
    const { token } = await tokens.mint({ groups: ["admin"], expiresInSeconds: 60 });
    clock.advanceSeconds(60 + 29);
    await expect(tokens.verify(token)).resolves.toBeDefined();
    clock.advanceSeconds(1);
    expect(await codeOf(tokens.verify(token))).toBe("token_expired");
    expect((await tokens.verify(token, { allowExpired: true })).claims.groups).toEqual(["admin"]);
  });

  it("honours a custom clock tolerance", async () => {
    const { clock, tokens } = setup({ clockToleranceSeconds: 0 });
    const { token } = await tokens.mint({ groups: ["admin"], expiresInSeconds: 60 });
    clock.advanceSeconds(60);
    expect(await codeOf(tokens.verify(token))).toBe("token_expired");
  });

  it("rejects a token that is not valid yet (nbf or iat beyond the tolerance)", async () => {
    const { clock, tokens } = setup();
    const now = Math.floor(clock.now() / 1000);
    const nbf = forgeToken({ alg: "HS256" }, claimsAt(clock, { nbf: now + 31 }), TEST_SECRET);
    const iat = forgeToken({ alg: "HS256" }, claimsAt(clock, { iat: now + 31 }), TEST_SECRET);
    const withinTolerance = forgeToken(
      { alg: "HS256" },
      claimsAt(clock, { nbf: now + 30, iat: now + 30 }),
      TEST_SECRET,
    );
    expect(await codeOf(tokens.verify(nbf))).toBe("token_not_yet_valid");
    expect(await codeOf(tokens.verify(iat))).toBe("token_not_yet_valid");
    expect(await codeOf(tokens.verify(withinTolerance))).toBe("resolved");
  });

  it("rejects the wrong audience, a missing audience, and an audience list without ours", async () => {
    const { clock, tokens } = setup();
    const other = await setup({ audience: "gofr_dig-api" }).tokens.mint({ groups: ["admin"] });
    expect(await codeOf(tokens.verify(other.token))).toBe("audience_mismatch");
    const { aud: _aud, ...noAud } = claimsAt(clock);
    expect(await codeOf(tokens.verify(forgeToken({ alg: "HS256" }, noAud, TEST_SECRET)))).toBe(
      "audience_mismatch",
    );
    const list = forgeToken({ alg: "HS256" }, claimsAt(clock, { aud: ["x", "y"] }), TEST_SECRET);
    expect(await codeOf(tokens.verify(list))).toBe("audience_mismatch");
    const ours = forgeToken(
      { alg: "HS256" },
      claimsAt(clock, { aud: ["x", "gofr-api"] }),
      TEST_SECRET,
    );
    expect(await codeOf(tokens.verify(ours))).toBe("resolved");
  });

  it("rejects a token signed with another secret", async () => {
    const { clock, tokens } = setup();
    const forged = forgeToken({ alg: "HS256" }, claimsAt(clock), OTHER_SECRET);
    expect(await codeOf(tokens.verify(forged))).toBe("token_invalid");
  });

  it("rejects alg none in any spelling, and HS384/HS512 even with the right secret", async () => {
    const { clock, tokens } = setup();
    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      expect(await codeOf(tokens.verify(unsignedToken({ alg }, claimsAt(clock))))).not.toBe(
        "resolved",
      );
      const signedNone = `${unsignedToken({ alg }, claimsAt(clock))}c2ln`;
      expect(await codeOf(tokens.verify(signedNone))).toBe("token_invalid");
    }
    const hs512 = forgeToken({ alg: "HS512" }, claimsAt(clock), TEST_SECRET, "sha512");
    const hs384 = forgeToken({ alg: "HS384" }, claimsAt(clock), TEST_SECRET, "sha384");
    expect(await codeOf(tokens.verify(hs512))).toBe("token_invalid");
    expect(await codeOf(tokens.verify(hs384))).toBe("token_invalid");
  });

  it("rejects a tampered payload", async () => {
    const { tokens } = setup();
    const { token, claims } = await tokens.mint({ groups: ["public"] });
    const tampered = withPayload(token, { ...claims, groups: ["admin"] });
    expect(await codeOf(tokens.verify(tampered))).toBe("token_invalid");
  });

  it("rejects tokens over 8 KiB before parsing, and malformed shapes", async () => {
    const { tokens, provider } = setup();
    const huge = `${"a".repeat(9000)}.b.c`;
    expect(await codeOf(tokens.verify(huge))).toBe("token_too_large");
    expect(provider.source.readCount("gofr/config/jwt-signing-secret")).toBe(0);
    for (const bad of ["", "abc", "a.b", "a.b.c.d", "a b.c.d", "eyJ=.e30.sig", "a.b."]) {
      expect(await codeOf(tokens.verify(bad))).toMatch(/^token_(missing|malformed)$/);
    }
    expect(await codeOf(tokens.verify(undefined as unknown as string))).toBe("token_missing");
  });

  it("requires jti and a non-empty list of group names", async () => {
    const { clock, tokens } = setup();
    const cases = [
      { jti: undefined },
      { jti: "" },
      { groups: [] },
      { groups: "admin" },
      { groups: [1] },
      { exp: "9999999999" },
      { exp: undefined },
      { iss: 7 },
    ];
    for (const overrides of cases) {
      const token = forgeToken({ alg: "HS256" }, claimsAt(clock, overrides), TEST_SECRET);
      expect(await codeOf(tokens.verify(token)), JSON.stringify(overrides)).toBe("token_invalid");
    }
  });

  it("accepts Python-fleet tokens (no kid, no iss) signed with the shared secret", async () => {
    const { clock, tokens } = setup();
    const python = forgeToken({ alg: "HS256", typ: "JWT" }, claimsAt(clock), TEST_SECRET);
    const verified = await tokens.verify(python);
    expect(verified.claims.jti).toBe("9f0c6f9e-2a4b-4f4e-8d8a-1a2b3c4d5e6f");
    expect(verified.claims.iss).toBeUndefined();
  });

  it("rejects untrusted issuers when a trusted list is configured", async () => {
    const { clock, tokens } = setup({ trustedIssuers: ["negocio"] });
    const fromDeposito = forgeToken(
      { alg: "HS256" },
      claimsAt(clock, { iss: "deposito", groups: ["public"] }),
      TEST_SECRET,
    );
    const fromNegocio = forgeToken(
      { alg: "HS256" },
      claimsAt(clock, { iss: "negocio", groups: ["public"] }),
      TEST_SECRET,
    );
    expect(await codeOf(tokens.verify(fromDeposito))).toBe("issuer_untrusted");
    expect(await codeOf(tokens.verify(fromNegocio))).toBe("resolved");
  });

  it("checks the client binding when the token carries one", async () => {
    const { tokens } = setup();
    const { token } = await tokens.mint({ groups: ["public"], fingerprint: "device-1" });
    expect(await codeOf(tokens.verify(token, { fingerprint: "device-2" }))).toBe("token_invalid");
    expect(await codeOf(tokens.verify(token, { fingerprint: "device-1" }))).toBe("resolved");
  });

  it("rejects a kid naming another key", async () => {
    const { clock, tokens } = setup();
    for (const kid of ["deposito.v1", "../../etc/passwd", "shared", "shared.v0", 5]) {
      const token = forgeToken({ alg: "HS256", kid }, claimsAt(clock), TEST_SECRET);
      expect(await codeOf(tokens.verify(token)), String(kid)).toBe("token_invalid");
    }
  });

  it("a token naming a newer key version makes the verifier read the store at once", async () => {
    const { clock, provider, tokens } = setup();
    await tokens.mint({ groups: ["public"] }); // warm cache at v1
    const readsBefore = provider.source.readCount(provider.name);
    provider.source.set(provider.name, OTHER_SECRET); // another process rotated to v2
    const token = forgeToken({ alg: "HS256", kid: "shared.v2" }, claimsAt(clock), OTHER_SECRET);
    expect(provider.currentKey()?.version).toBe(1);
    const verified = await tokens.verify(token);
    expect(verified.key.version).toBe(2);
    expect(provider.currentKey()?.version).toBe(2);
    expect(provider.source.readCount(provider.name)).toBe(readsBefore + 1);
    // An unknown newer version makes the store be read at most once per second.
    const v3 = forgeToken({ alg: "HS256", kid: "shared.v3" }, claimsAt(clock), OTHER_SECRET);
    expect(await codeOf(tokens.verify(v3))).toBe("token_invalid");
    expect(await codeOf(tokens.verify(v3))).toBe("token_invalid");
    expect(provider.source.readCount(provider.name)).toBe(readsBefore + 1);
    clock.advance(1000);
    expect(await codeOf(tokens.verify(v3))).toBe("token_invalid");
    expect(await codeOf(tokens.verify(v3))).toBe("token_invalid");
    expect(provider.source.readCount(provider.name)).toBe(readsBefore + 2);
  });

  it("rejects tokens of the previous version unless within the rotation grace", async () => {
    for (const grace of [0, 3600]) {
      const { clock, provider, tokens } = setup({ rotationGraceSeconds: grace });
      const old = await tokens.mint({ groups: ["public"] });
      clock.advanceSeconds(10);
      provider.source.set(provider.name, OTHER_SECRET);
      provider.invalidate();
      const fresh = await tokens.mint({ groups: ["public"] });
      expect(fresh.kid).toBe("shared.v2");
      expect(await codeOf(tokens.verify(fresh.token))).toBe("resolved");
      expect(await codeOf(tokens.verify(old.token))).toBe(grace > 0 ? "resolved" : "token_invalid");
      clock.advanceSeconds(3601);
      provider.invalidate();
      expect(await codeOf(tokens.verify(old.token))).toBe("token_invalid");
    }
  });

  it("fails with the store's error, not a token error, when the secret cannot be read", async () => {
    const clock = new ManualClock();
    const source = new ControlledSource(TEST_SECRET);
    source.failWith(unreachable());
    const provider = new JwtSecretProvider({ source, clock: clock.now, logger: silentLogger });
    const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
    const token = forgeToken({ alg: "HS256" }, claimsAt(clock), TEST_SECRET);
    expect(await codeOf(tokens.verify(token))).toBe("vault_unreachable");
    expect(await codeOf(tokens.mint({ groups: ["public"] }))).toBe("vault_unreachable");
  });
});

describe("TokenService verified-token cache", () => {
  it("a cached token is still rejected once it expires", async () => {
    const { clock, tokens } = setup({ clockToleranceSeconds: 0 });
    const { token } = await tokens.mint({ groups: ["admin"], expiresInSeconds: 60 });
    await tokens.verify(token);
    await tokens.verify(token);
    clock.advanceSeconds(60);
    expect(await codeOf(tokens.verify(token))).toBe("token_expired");
  });

  it("a cached token is rejected after a rotation without grace, and accepted with it", async () => {
    for (const grace of [0, 600]) {
      const { clock, provider, tokens } = setup({ rotationGraceSeconds: grace });
      const { token } = await tokens.mint({ groups: ["admin"] });
      await tokens.verify(token); // cached under v1
      clock.advanceSeconds(1);
      provider.source.set(provider.name, OTHER_SECRET);
      provider.invalidate();
      expect(await codeOf(tokens.verify(token))).toBe(grace > 0 ? "resolved" : "token_invalid");
    }
  });

  it("per-call audience and client binding are checked on a cache hit", async () => {
    const { tokens } = setup();
    const { token } = await tokens.mint({ groups: ["admin"], fingerprint: "device-1" });
    await tokens.verify(token, { fingerprint: "device-1" });
    expect(await codeOf(tokens.verify(token, { fingerprint: "device-2" }))).toBe("token_invalid");
    expect(await codeOf(tokens.verify(token, { audience: "other-api" }))).toBe("audience_mismatch");
  });

  it("works the same with the cache disabled", async () => {
    const { clock, tokens } = setup({ verifiedCacheSize: 0, clockToleranceSeconds: 0 });
    const { token } = await tokens.mint({ groups: ["admin"], expiresInSeconds: 60 });
    expect(await codeOf(tokens.verify(token))).toBe("resolved");
    expect(await codeOf(tokens.verify(token))).toBe("resolved");
    clock.advanceSeconds(60);
    expect(await codeOf(tokens.verify(token))).toBe("token_expired");
  });
});
