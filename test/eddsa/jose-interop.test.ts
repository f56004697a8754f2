/**
 * Cross-checks with another implementation: jose (panva/jose, a devDependency) signs EdDSA
 * tokens that ours verify, and verifies the ones ours mint, with the same Ed25519 key. Plus
 * RFC 8032's test vector 2 (section 7.1) through our public key check.
 */
import { createLocalJWKSet, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { jwks } from "../../src/eddsa/jwks.js";
import { EdDsaPublicKey, publicKeyFromRaw } from "../../src/eddsa/public-key.js";
import { codeOf, fleet } from "./fleet.js";

describe("EdDSA interoperability with jose", () => {
  it("a token jose signs with deposito's private key verifies with ours", async () => {
    const { clock, tokens, pair } = fleet();
    const now = Math.floor(clock.now() / 1000);
    const token = await new SignJWT({ groups: ["public"] })
      .setProtectedHeader({ alg: "EdDSA", kid: "deposito.v1" })
      .setJti("from-jose")
      .setIssuer("deposito")
      .setAudience("gofr-api")
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 60)
      .sign(pair.privateKey);
    const verified = await tokens.verify(token);
    expect(verified.claims.jti).toBe("from-jose");
    expect(verified.key.algorithm).toBe("EdDSA");
  });

  it("a token jose signs with another key is refused by ours", async () => {
    const { clock, tokens } = fleet();
    const other = fleet().pair;
    const now = Math.floor(clock.now() / 1000);
    const token = await new SignJWT({ groups: ["public"] })
      .setProtectedHeader({ alg: "EdDSA", kid: "deposito.v1" })
      .setJti("from-jose")
      .setIssuer("deposito")
      .setAudience("gofr-api")
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 60)
      .sign(other.privateKey);
    expect(await codeOf(tokens.verify(token))).toBe("token_invalid");
  });

  it("a token ours mints verifies with jose's jwtVerify given the public key", async () => {
    const { clock, tokens, pair } = fleet();
    const minted = await tokens.forIssuer("deposito").mint({ groups: ["public"] });
    const { payload, protectedHeader } = await jwtVerify(minted.token, pair.publicKey, {
      algorithms: ["EdDSA"],
      audience: "gofr-api",
      issuer: "deposito",
      currentDate: new Date(clock.now()),
    });
    expect(protectedHeader).toEqual({ alg: "EdDSA", typ: "JWT", kid: "deposito.v1" });
    expect(payload).toEqual(minted.claims);
  });
});

describe("RFC 8032 section 7.1, test 2", () => {
  const hex = (text: string) => Buffer.from(text.replace(/\s/g, ""), "hex");
  const PUBLIC = hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const SIGNATURE = hex(`92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da
    085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00`);
  const key = new EdDsaPublicKey("rfc", 1, publicKeyFromRaw(PUBLIC), new Date(0));

  it("the vector's signature of the message 0x72 ('r') verifies, and not of another message", () => {
    expect(key.verify("r", SIGNATURE)).toBe(true);
    expect(key.verify("s", SIGNATURE)).toBe(false);
    expect(key.raw).toEqual(PUBLIC);
  });

  it("a signature of another length than 64 bytes is false, not an exception", () => {
    expect(key.verify("r", SIGNATURE.subarray(0, 63))).toBe(false);
    expect(key.verify("r", Buffer.concat([SIGNATURE, Buffer.alloc(1)]))).toBe(false);
  });
});

describe("jwks", () => {
  it("lists every verifiable version as an Ed25519 JWK that jose verifies tokens with", async () => {
    const { keys, publicKeys, tokens } = fleet();
    const v1 = await tokens.forIssuer("deposito").mint({ groups: ["public"] });
    keys.rotate("deposito");
    const set = await jwks(publicKeys, ["deposito", "ghost"]);
    expect(set.keys.map((jwk) => jwk.kid)).toEqual(["deposito.v1", "deposito.v2"]);
    expect(set.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    const { payload } = await jwtVerify(v1.token, createLocalJWKSet(set), {
      currentDate: new Date((v1.claims.iat as number) * 1000),
    });
    expect(payload.jti).toBe(v1.claims.jti);
  });

  it("leaves out retired versions", async () => {
    const { keys, publicKeys } = fleet();
    keys.rotate("deposito");
    keys.retire("deposito", 2);
    const set = await jwks(publicKeys, ["deposito"]);
    expect(set.keys.map((jwk) => jwk.kid)).toEqual(["deposito.v2"]);
  });
});
