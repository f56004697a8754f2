/**
 * Which groups an issuer may put in a token (docs/security.md, "Issuer groups"): `admin`
 * only from the operator issuer `gofr-auth` unless `adminIssuers` lists others; issuers in
 * `issuerGroups` only their listed groups (and `public`). Enforced at mint (`invalid_input`,
 * before any key is read) and at every verification (`issuer_untrusted`, stateless too),
 * so a leaked per-issuer key cannot make an admin token. Tokens without `iss` are the
 * Python fleet's, signed with the shared key (an own key signs only its issuer's tokens).
 */
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/index.js";
import { TokenService, type TokenServiceOptions } from "../../src/tokens/token-service.js";
import { forgeToken } from "../support/forge.js";

const SHARED = "shared-secret-for-the-whole-fleet-0123456789";
const DEPOSITO = "deposito-own-secret-0123456789-abcdefghijkl";

function setup(options: Partial<TokenServiceOptions> = {}) {
  const clock = new ManualClock();
  const source = new MemorySecretSource({
    secrets: { [SHARED_SECRET_NAME]: SHARED, [issuerSecretName("deposito")]: DEPOSITO },
    clock: clock.now,
  });
  const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
  const tokens = new TokenService({ keyRing, clock: clock.now, ...options });
  const now = Math.floor(clock.now() / 1000);
  const token = (kid: string | undefined, secret: string, claims: Record<string, unknown>) =>
    forgeToken(
      kid === undefined ? { alg: "HS256" } : { alg: "HS256", kid },
      { jti: "j1", iat: now, nbf: now, exp: now + 60, aud: "gofr-api", ...claims },
      secret,
    );
  return { tokens, source, token };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("admin only from the operator issuer (default)", () => {
  it("mints admin as gofr-auth, refuses it as any other issuer before reading a key", async () => {
    const { tokens, source } = setup();
    expect(await codeOf(tokens.mint({ groups: ["admin"] }))).toBe("resolved");
    const reads = source.readCount(issuerSecretName("bodega"));
    for (const issuer of ["deposito", "bodega"]) {
      expect(await codeOf(tokens.forIssuer(issuer).mint({ groups: ["finance", "admin"] }))).toBe(
        "invalid_input",
      );
    }
    expect(source.readCount(issuerSecretName("bodega"))).toBe(reads);
    expect(await codeOf(tokens.forIssuer("deposito").mint({ groups: ["finance"] }))).toBe(
      "resolved",
    );
  });

  it("refuses an admin token claiming another issuer, own key or shared key", async () => {
    const { tokens, token } = setup();
    const own = token("deposito.v1", DEPOSITO, { iss: "deposito", groups: ["admin"] });
    const shared = token("shared.v1", SHARED, { iss: "deposito", groups: ["public", "admin"] });
    expect(await codeOf(tokens.verify(own))).toBe("issuer_untrusted");
    expect(await codeOf(tokens.verify(shared))).toBe("issuer_untrusted");
    // The same tokens without admin verify: the refusal is the group's.
    const ownPublic = token("deposito.v1", DEPOSITO, { iss: "deposito", groups: ["public"] });
    expect(await codeOf(tokens.verify(ownPublic))).toBe("resolved");
  });

  it("accepts admin from gofr-auth and from Python-fleet tokens (no iss, shared key)", async () => {
    const { tokens, token } = setup();
    const operator = token("shared.v1", SHARED, { iss: "gofr-auth", groups: ["admin"] });
    const python = token(undefined, SHARED, { groups: ["admin"] });
    expect(await codeOf(tokens.verify(operator))).toBe("resolved");
    expect(await codeOf(tokens.verify(python))).toBe("resolved");
  });
});

describe("configured issuers", () => {
  it("adminIssuers lets the listed issuers grant admin (and replaces the default)", async () => {
    const { tokens, token } = setup({ adminIssuers: ["deposito"] });
    const own = token("deposito.v1", DEPOSITO, { iss: "deposito", groups: ["admin"] });
    expect(await codeOf(tokens.verify(own))).toBe("resolved");
    expect(await codeOf(tokens.forIssuer("deposito").mint({ groups: ["admin"] }))).toBe("resolved");
    expect(await codeOf(tokens.mint({ groups: ["admin"] }))).toBe("invalid_input");
  });

  it("issuerGroups limits a listed issuer to its groups and public", async () => {
    const { tokens, token } = setup({ issuerGroups: { deposito: ["deposito"] } });
    const mint = (groups: string[]) => codeOf(tokens.forIssuer("deposito").mint({ groups }));
    expect(await mint(["deposito", "public"])).toBe("resolved");
    expect(await mint(["deposito", "billing"])).toBe("invalid_input");
    const billing = token("deposito.v1", DEPOSITO, { iss: "deposito", groups: ["billing"] });
    expect(await codeOf(tokens.verify(billing))).toBe("issuer_untrusted");
    // Issuers not listed keep every group but admin.
    expect(await codeOf(tokens.forIssuer("negocio").mint({ groups: ["billing"] }))).toBe(
      "resolved",
    );
  });

  it("issuerGroups cannot grant admin on its own: adminIssuers decides that", async () => {
    const { tokens } = setup({ issuerGroups: { deposito: ["admin"] } });
    expect(await codeOf(tokens.forIssuer("deposito").mint({ groups: ["admin"] }))).toBe(
      "invalid_input",
    );
  });
});
