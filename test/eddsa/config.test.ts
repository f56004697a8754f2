/**
 * `issuerAlgorithms`: the first entry is what an issuer mints, every entry what its tokens
 * may use; a configuration that cannot be meant fails at construction (config_invalid).
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import type { TokenAlgorithm } from "../../src/tokens/algorithms.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { BILLING, claimsAt, codeOf, fleet, forgeEdDsa, forgeHmac } from "./fleet.js";

function construct(issuerAlgorithms: Record<string, readonly TokenAlgorithm[]>): unknown {
  const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: "x".repeat(40) } });
  const keyRing = new KeyRing({ source, logger: silentLogger });
  try {
    return new TokenService({ keyRing, issuerAlgorithms, publicKeys: fleet().publicKeys });
  } catch (error) {
    return error instanceof AuthError ? `${error.code}: ${error.message}` : error;
  }
}

describe("issuerAlgorithms refuses what cannot be meant", () => {
  const cases: Array<[string, Record<string, readonly TokenAlgorithm[]>, string]> = [
    ["EdDSA for the shared key", { shared: ["EdDSA"] }, "must be HS256 only"],
    [
      "an unknown algorithm",
      { deposito: ["RS256" as TokenAlgorithm] },
      'unknown algorithm "RS256"',
    ],
    ["an empty list", { deposito: [] }, "must be a non-empty list"],
    ["a repeated algorithm", { deposito: ["EdDSA", "EdDSA"] }, "repeats an algorithm"],
    ["a label no kid can name", { "Deposito Svc": ["EdDSA"] }, "is not a valid key label"],
  ];
  for (const [what, config, message] of cases) {
    it(`${what}`, () => {
      expect(construct(config)).toMatch(
        new RegExp(`^config_invalid: issuerAlgorithms\\[.*${message}`),
      );
    });
  }

  it("EdDSA without publicKeys", () => {
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: "x".repeat(40) } });
    expect(
      () =>
        new TokenService({
          keyRing: new KeyRing({ source }),
          issuerAlgorithms: { deposito: ["EdDSA"] },
        }),
    ).toThrow(/issuerAlgorithms lists EdDSA but no publicKeys/);
  });

  it("HS256-only lists need no public keys", () => {
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: "x".repeat(40) } });
    const keyRing = new KeyRing({ source });
    expect(new TokenService({ keyRing, issuerAlgorithms: { deposito: ["HS256"] } })).toBeInstanceOf(
      TokenService,
    );
  });

  it("minting as an EdDSA issuer without an eddsaSigner is config_invalid, before any read", async () => {
    const { tokens, reads } = fleet({ tokens: { eddsaSigner: undefined } });
    expect(await codeOf(tokens.forIssuer("deposito").mint({ groups: ["public"] }))).toBe(
      "config_invalid",
    );
    expect(reads()).toBe(0);
  });
});

describe("migrating an issuer between HS256 and EdDSA", () => {
  /** billing has its own HS256 secret and, here, an EdDSA key pair too. */
  function billingFleet(list: readonly TokenAlgorithm[]) {
    const setup = fleet({ issuerAlgorithms: { billing: list } });
    const pair = generateKeyPairSync("ed25519");
    setup.keys.create("billing", pair);
    const { clock } = setup;
    const hs256 = forgeHmac(
      { alg: "HS256", kid: "billing.v1" },
      claimsAt(clock, "billing"),
      BILLING,
    );
    const eddsa = forgeEdDsa(
      { alg: "EdDSA", kid: "billing.v1" },
      claimsAt(clock, "billing"),
      pair.privateKey,
    );
    return { ...setup, hs256, eddsa };
  }

  it('["EdDSA", "HS256"] mints EdDSA and still accepts the issuer\'s HS256 tokens', async () => {
    const { tokens, hs256, eddsa } = billingFleet(["EdDSA", "HS256"]);
    const minted = await tokens.forIssuer("billing").mint({ groups: ["public"] });
    expect((await tokens.verify(minted.token)).header.alg).toBe("EdDSA");
    expect(await codeOf(tokens.verify(hs256))).toBe("resolved");
    expect(await codeOf(tokens.verify(eddsa))).toBe("resolved");
  });

  it('["HS256", "EdDSA"] mints HS256 with the issuer\'s own secret and already accepts EdDSA', async () => {
    const { tokens, eddsa } = billingFleet(["HS256", "EdDSA"]);
    const minted = await tokens.forIssuer("billing").mint({ groups: ["public"] });
    expect(minted.kid).toBe("billing.v1");
    const verified = await tokens.verify(minted.token);
    expect(verified.header.alg).toBe("HS256");
    expect(verified.key.name).toBe("gofr/config/jwt-signing-secrets/billing");
    expect(await codeOf(tokens.verify(eddsa))).toBe("resolved");
  });

  it('["HS256"] (the default) refuses the issuer\'s EdDSA tokens', async () => {
    const { tokens, eddsa } = billingFleet(["HS256"]);
    expect(await codeOf(tokens.verify(eddsa))).toBe("token_invalid");
  });
});

describe("the EdDSA signer's answers are checked", () => {
  it("a signature that is not 64 bytes is store_unavailable, and no token is made", async () => {
    const { keys, tokens } = fleet();
    keys.sign = async () => ({ version: 1, signature: Buffer.alloc(63) });
    expect(await codeOf(tokens.forIssuer("deposito").mint({ groups: ["public"] }))).toBe(
      "store_unavailable",
    );
  });

  it("a version that is not a whole number >= 1 is store_unavailable", async () => {
    const { keys, tokens } = fleet();
    keys.sign = async () => ({ version: 0, signature: Buffer.alloc(64) });
    expect(await codeOf(tokens.forIssuer("deposito").mint({ groups: ["public"] }))).toBe(
      "store_unavailable",
    );
  });

  it("the signer builds the signing input for the version it signs with (the kid follows it)", async () => {
    const { keys, tokens } = fleet();
    keys.rotate("deposito");
    const minted = await tokens.forIssuer("deposito").mint({ groups: ["public"] });
    expect(minted.kid).toBe("deposito.v2");
    expect((await tokens.verify(minted.token)).key.version).toBe(2);
  });
});
