import { describe, expect, it } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import type { AuthErrorCode } from "../../src/errors.js";
import { EnvSecretSource } from "../../src/secrets/env.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { ManualClock } from "../../src/testing/clock.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { captureLogger } from "../support/capture-logger.js";
import { forgeToken } from "../support/forge.js";

const SHARED = "shared-secret-for-the-whole-fleet-0123456789";
const DEPOSITO = "deposito-own-secret-0123456789-abcdefghijkl";
const NEGOCIO = "negocio-own-secret-0123456789-abcdefghijklm";

function fleet(options: { strict?: boolean; secrets?: Record<string, string> } = {}) {
  const clock = new ManualClock();
  const logger = captureLogger();
  const source = new MemorySecretSource({
    secrets: { [SHARED_SECRET_NAME]: SHARED, ...options.secrets },
    clock: clock.now,
  });
  const ring = () =>
    new KeyRing({ source, strict: options.strict, clock: clock.now, logger, cacheTtlSeconds: 300 });
  const service = (issuer: string, trustedIssuers?: string[]) =>
    new TokenService({ keyRing: ring(), issuer, trustedIssuers, clock: clock.now });
  return { clock, logger, source, ring, service };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("KeyRing and issuer isolation", () => {
  it("an issuer without its own secret mints with the shared key and says so once", async () => {
    const { logger, service } = fleet();
    const deposito = service("deposito");
    const first = await deposito.mint({ groups: ["public"] });
    await deposito.mint({ groups: ["public"] });
    expect(first.kid).toBe("shared.v1");
    expect(first.claims.iss).toBe("deposito");
    const warnings = logger.entries.filter((entry) => entry.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ issuer: "deposito" });
    expect(await codeOf(service("negocio").verify(first.token))).toBe("resolved");
  });

  it("an issuer with its own secret mints with it, and other services verify it", async () => {
    const { service } = fleet({ secrets: { [issuerSecretName("deposito")]: DEPOSITO } });
    const minted = await service("deposito").mint({ groups: ["public"] });
    expect(minted.kid).toBe("deposito.v1");
    const verified = await service("negocio").verify(minted.token);
    expect(verified.key.name).toBe("gofr/config/jwt-signing-secrets/deposito");
  });

  it("a token minted for deposito fails at a service trusting only negocio", async () => {
    const { service } = fleet({ secrets: { [issuerSecretName("deposito")]: DEPOSITO } });
    const own = await service("deposito").mint({ groups: ["public"] });
    const viaShared = await fleet()
      .service("deposito")
      .mint({ groups: ["public"] });
    const strictVerifier = service("negocio", ["negocio"]);
    expect(await codeOf(strictVerifier.verify(own.token))).toBe("issuer_untrusted");
    expect(await codeOf(strictVerifier.verify(viaShared.token))).toBe("issuer_untrusted");
  });

  it("a token forged with negocio's key but claiming iss deposito is rejected", async () => {
    const { clock, service } = fleet({
      secrets: { [issuerSecretName("negocio")]: NEGOCIO, [issuerSecretName("deposito")]: DEPOSITO },
    });
    const now = Math.floor(clock.now() / 1000);
    const forged = forgeToken(
      { alg: "HS256", kid: "negocio.v1" },
      {
        jti: "j",
        groups: ["admin"],
        iat: now,
        nbf: now,
        exp: now + 60,
        aud: "gofr-api",
        iss: "deposito",
      },
      NEGOCIO,
    );
    await expect(service("gateway").verify(forged)).rejects.toMatchObject({
      code: "token_invalid",
      message: expect.stringContaining("claims issuer 'deposito' but is signed with 'negocio' key"),
    });
    // And signed with negocio's key under deposito's kid: the signature does not match.
    const relabelled = forgeToken(
      { alg: "HS256", kid: "deposito.v1" },
      {
        jti: "j",
        groups: ["admin"],
        iat: now,
        nbf: now,
        exp: now + 60,
        aud: "gofr-api",
        iss: "deposito",
      },
      NEGOCIO,
    );
    await expect(service("gateway").verify(relabelled)).rejects.toMatchObject({
      code: "token_invalid",
      message: expect.stringContaining("signature does not match"),
    });
  });

  it("migration: after generate, new tokens use the own key and old shared-key tokens still verify", async () => {
    const { clock, source, service } = fleet();
    const deposito = service("deposito");
    const verifier = service("negocio");
    const before = await deposito.mint({ groups: ["public"] });
    expect(before.kid).toBe("shared.v1");
    source.set(issuerSecretName("deposito"), DEPOSITO); // gofr-auth secrets generate --issuer deposito
    clock.advanceSeconds(301); // the minter's "no own key" memory expires
    const after = await deposito.mint({ groups: ["public"] });
    expect(after.kid).toBe("deposito.v1");
    expect(await codeOf(verifier.verify(after.token))).toBe("resolved");
    expect(await codeOf(verifier.verify(before.token))).toBe("resolved");
  });

  it("a verifier that remembered the key as absent picks up a new issuer key within a second", async () => {
    const { clock, source, service } = fleet();
    const verifier = service("negocio");
    const withKey = fleet({ secrets: { [issuerSecretName("deposito")]: DEPOSITO } });
    const ownToken = await withKey.service("deposito").mint({ groups: ["public"] });
    expect(await codeOf(verifier.verify(ownToken.token))).toBe("token_invalid"); // no key yet
    source.set(issuerSecretName("deposito"), DEPOSITO); // gofr-auth secrets generate
    const reads = source.readCount(issuerSecretName("deposito"));
    expect(await codeOf(verifier.verify(ownToken.token))).toBe("token_invalid");
    expect(source.readCount(issuerSecretName("deposito"))).toBe(reads); // rate-limited
    clock.advance(1000);
    expect(await codeOf(verifier.verify(ownToken.token))).toBe("resolved");
    expect(source.readCount(issuerSecretName("deposito"))).toBe(reads + 1);
  });

  it("unknown issuer keys are rejected without a store read per request", async () => {
    const { clock, source, service } = fleet();
    const verifier = service("negocio");
    const now = Math.floor(clock.now() / 1000);
    const token = forgeToken(
      { alg: "HS256", kid: "ghost.v1" },
      {
        jti: "j",
        groups: ["admin"],
        iat: now,
        nbf: now,
        exp: now + 60,
        aud: "gofr-api",
        iss: "ghost",
      },
      SHARED,
    );
    for (let i = 0; i < 100; i += 1) {
      expect(await codeOf(verifier.verify(token))).toBe("token_invalid");
    }
    expect(source.readCount(issuerSecretName("ghost"))).toBe(1);
    clock.advance(1000);
    expect(await codeOf(verifier.verify(token))).toBe("token_invalid");
    expect(source.readCount(issuerSecretName("ghost"))).toBe(2);
  });

  it("strict mode: no shared fallback for minting, and shared-key tokens with an iss are rejected", async () => {
    const lenient = fleet();
    const oldToken = await lenient.service("deposito").mint({ groups: ["public"] });
    const strict = fleet({ strict: true, secrets: { [issuerSecretName("deposito")]: DEPOSITO } });
    expect(await codeOf(strict.service("negocio").mint({ groups: ["public"] }))).toBe(
      "secret_unavailable",
    );
    const own = await strict.service("deposito").mint({ groups: ["public"] });
    expect(await codeOf(strict.service("negocio").verify(own.token))).toBe("resolved");
    // oldToken was signed with the same shared secret value the strict fleet uses.
    expect(await codeOf(strict.service("negocio").verify(oldToken.token))).toBe("token_invalid");
  });

  it("status reports own key or fallback per issuer", async () => {
    const { ring } = fleet({ secrets: { [issuerSecretName("deposito")]: DEPOSITO } });
    const status = await ring().status(["deposito", "negocio"]);
    expect(status.map((s) => [s.issuer, s.source, s.secret, s.version])).toEqual([
      ["deposito", "own", "gofr/config/jwt-signing-secrets/deposito", 1],
      ["negocio", "fallback", "gofr/config/jwt-signing-secret", 1],
    ]);
    expect(status[0]?.fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
  });

  it("AuthService.forIssuer mints with the issuer's name and key over one store", async () => {
    const { ring } = fleet({ secrets: { [issuerSecretName("deposito")]: DEPOSITO } });
    const auth = new AuthService({ store: new MemoryAuthStore(), keyRing: ring() });
    const minted = await auth.forIssuer("deposito").createToken({ groups: ["public"] });
    expect(minted.kid).toBe("deposito.v1");
    expect(minted.claims.iss).toBe("deposito");
    expect((await auth.verifyToken(minted.token)).issuer).toBe("deposito");
    expect((await auth.createToken({ groups: ["admin"] })).claims.iss).toBe("gofr-auth");
  });
});

describe("EnvSecretSource (legacy)", () => {
  it("reads JWT_SECRET_<ISSUER>, falling back to JWT_SECRET_KEY through the ring", async () => {
    const env = { JWT_SECRET_KEY: SHARED, JWT_SECRET_DEPOSITO: DEPOSITO };
    const keyRing = new KeyRing({ source: new EnvSecretSource({ env }), logger: captureLogger() });
    expect((await keyRing.mintingKey("deposito")).label).toBe("deposito");
    expect((await keyRing.mintingKey("negocio")).label).toBe("shared");
    expect(EnvSecretSource.variableFor(issuerSecretName("gofr-dig"))).toBe("JWT_SECRET_GOFR_DIG");
  });

  it("refuses placeholders and short values", async () => {
    for (const [value, code] of [
      ["CHANGE-ME-IN-PRODUCTION", "secret_invalid"],
      ["change_me_please_0123456789012345678901", "secret_invalid"],
      ["too-short", "secret_too_weak"],
    ] as const) {
      const ring = new KeyRing({
        source: new EnvSecretSource({ env: { JWT_SECRET_KEY: value } }),
        logger: captureLogger(),
      });
      expect(await codeOf(ring.shared.get()), value).toBe(code);
    }
  });
});
