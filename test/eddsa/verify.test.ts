/**
 * Issue 18: EdDSA (Ed25519) issuers beside HS256. Tokens of an issuer whose allowlist holds
 * EdDSA verify with its public keys by version: any version from the floor to the latest,
 * none below the floor (retired), a newer one after one limited re-read.
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fingerprintBytes } from "../../src/secrets/fingerprint.js";
import { answerOf, claimsAt, codeOf, fleet, forgeEdDsa } from "./fleet.js";

const HEADER = { alg: "EdDSA", typ: "JWT", kid: "deposito.v1" };

describe("EdDSA tokens", () => {
  it("round trip: a deposito token is minted with EdDSA and verifies with its public key", async () => {
    const { tokens, pair } = fleet();
    const minted = await tokens.forIssuer("deposito").mint({ groups: ["public"] });
    expect(minted.kid).toBe("deposito.v1");
    expect(minted.record.keyLabel).toBe("deposito");
    const verified = await tokens.verify(minted.token);
    expect(verified.header).toEqual({ alg: "EdDSA", typ: "JWT", kid: "deposito.v1" });
    expect(verified.claims).toEqual(minted.claims);
    expect(verified.keyLabel).toBe("deposito");
    const raw = Buffer.from(pair.publicKey.export({ format: "jwk" }).x as string, "base64url");
    expect(verified.key).toEqual({
      name: "jwt-deposito",
      version: 1,
      fingerprint: fingerprintBytes(raw),
      algorithm: "EdDSA",
    });
  });

  it("a token signed by hand with deposito's private key verifies", async () => {
    const { clock, tokens, pair } = fleet();
    const token = forgeEdDsa(HEADER, claimsAt(clock, "deposito"), pair.privateKey);
    expect(await codeOf(tokens.verify(token))).toBe("resolved");
  });

  it("a token signed by another Ed25519 key under deposito's kid is refused", async () => {
    const { clock, tokens } = fleet();
    const other = generateKeyPairSync("ed25519");
    const token = forgeEdDsa(HEADER, claimsAt(clock, "deposito"), other.privateKey);
    expect(await answerOf(tokens.verify(token))).toBe(
      "token_invalid: The token signature does not match",
    );
  });

  it("an altered payload under a valid signature is refused", async () => {
    const { clock, tokens, pair } = fleet();
    const token = forgeEdDsa(HEADER, claimsAt(clock, "deposito"), pair.privateKey);
    const [header, , signature] = token.split(".");
    const other = forgeEdDsa(
      HEADER,
      { ...claimsAt(clock, "deposito"), groups: ["admin"] },
      pair.privateKey,
    );
    const forged = `${header}.${other.split(".")[1]}.${signature}`;
    expect(await answerOf(tokens.verify(forged))).toBe(
      "token_invalid: The token signature does not match",
    );
  });

  it("an EdDSA token must claim the issuer whose key signed it", async () => {
    const { clock, tokens, pair } = fleet();
    const token = forgeEdDsa(HEADER, claimsAt(clock, "billing"), pair.privateKey);
    expect(await answerOf(tokens.verify(token))).toBe(
      "token_invalid: The token claims issuer 'billing' but is signed with 'deposito' key",
    );
  });
});

describe("EdDSA key versions", () => {
  it("after a rotation, tokens of the old version still verify until the floor is raised", async () => {
    const { clock, keys, publicKeys, tokens } = fleet();
    const deposito = tokens.forIssuer("deposito");
    const v1 = await deposito.mint({ groups: ["public"] });
    keys.rotate("deposito");
    publicKeys.invalidate("deposito");
    const v2 = await deposito.mint({ groups: ["public"] });
    expect(v2.kid).toBe("deposito.v2");
    expect(await codeOf(tokens.verify(v1.token))).toBe("resolved");
    expect(await codeOf(tokens.verify(v2.token))).toBe("resolved");

    keys.retire("deposito", 2);
    clock.advanceSeconds(301); // the cached keys expire: the floor is read
    expect(await answerOf(tokens.verify(v1.token))).toBe(
      "token_invalid: The token was signed with key version deposito.v1, which is retired",
    );
    expect(await codeOf(tokens.verify(v2.token))).toBe("resolved");
  });

  it("a version below the floor is refused even when its token was verified and cached before", async () => {
    const { clock, keys, publicKeys, tokens } = fleet();
    const v1 = await tokens.forIssuer("deposito").mint({ groups: ["public"] });
    expect(await codeOf(tokens.verify(v1.token))).toBe("resolved");
    keys.rotate("deposito");
    keys.retire("deposito", 2);
    await publicKeys.secretChanged("jwt-deposito"); // what the change poller calls
    clock.advance(1);
    expect(await codeOf(tokens.verify(v1.token))).toBe("token_invalid");
  });

  it("a token naming a newer version makes one read, then verifies", async () => {
    const { clock, keys, tokens, reads } = fleet();
    expect(
      await codeOf(
        tokens.verify((await tokens.forIssuer("deposito").mint({ groups: ["public"] })).token),
      ),
    ).toBe("resolved");
    // Another process rotates and mints with v2.
    const next = generateKeyPairSync("ed25519");
    keys.rotate("deposito", next);
    const before = reads();
    const v2 = forgeEdDsa(
      { ...HEADER, kid: "deposito.v2" },
      claimsAt(clock, "deposito"),
      next.privateKey,
    );
    expect(await codeOf(tokens.verify(v2))).toBe("resolved");
    expect(reads() - before).toBe(1);
  });

  it("an unknown newer version costs one limited read, then none within the label's second", async () => {
    const { clock, tokens, pair, reads } = fleet();
    const v1 = forgeEdDsa(HEADER, claimsAt(clock, "deposito"), pair.privateKey);
    expect(await codeOf(tokens.verify(v1))).toBe("resolved");
    const before = reads();
    const v9 = forgeEdDsa(
      { ...HEADER, kid: "deposito.v9" },
      claimsAt(clock, "deposito"),
      pair.privateKey,
    );
    expect(await answerOf(tokens.verify(v9))).toBe(
      "token_invalid: The token names key version deposito.v9, which is unknown",
    );
    expect(reads() - before).toBe(1);
    for (let i = 0; i < 100; i += 1) expect(await codeOf(tokens.verify(v9))).toBe("token_invalid");
    expect(reads() - before).toBe(1);
    clock.advance(1000); // the label's interval has passed: one more read
    expect(await codeOf(tokens.verify(v9))).toBe("token_invalid");
    expect(reads() - before).toBe(2);
  });

  it("an issuer whose EdDSA key is deleted stops verifying once the deletion is seen", async () => {
    const { keys, publicKeys, tokens } = fleet();
    const minted = await tokens.forIssuer("deposito").mint({ groups: ["public"] });
    expect(await codeOf(tokens.verify(minted.token))).toBe("resolved");
    keys.delete("deposito");
    await publicKeys.secretChanged("jwt-deposito");
    expect(publicKeys.isHeld("deposito")).toBe(false);
    expect(await answerOf(tokens.verify(minted.token))).toBe(
      "token_invalid: Issuer 'deposito' has no EdDSA key",
    );
  });

  it("a store outage while loading keys is a 503 (store_unavailable), never a refused token", async () => {
    const { clock, keys, tokens, pair } = fleet();
    keys.read = () => Promise.reject(new Error("connection reset"));
    const token = forgeEdDsa(HEADER, claimsAt(clock, "deposito"), pair.privateKey);
    expect(await codeOf(tokens.verify(token))).toBe("store_unavailable");
  });
});

describe("EdDSA and the verified-token cache", () => {
  it("a repeat is served from the cache while the key object is the same, across a rotation", async () => {
    const { keys, publicKeys, tokens } = fleet();
    const minted = await tokens.forIssuer("deposito").mint({ groups: ["public"] });
    const first = await tokens.verify(minted.token);
    expect((await tokens.verify(minted.token)).claims).toBe(first.claims); // the cached object
    keys.rotate("deposito");
    await publicKeys.refresh("deposito");
    expect((await tokens.verify(minted.token)).claims).toBe(first.claims);
  });

  it("a public key re-created with other bytes under the same version is a new key: the cache is not used", async () => {
    const { keys, publicKeys, tokens } = fleet();
    const minted = await tokens.forIssuer("deposito").mint({ groups: ["public"] });
    expect(await codeOf(tokens.verify(minted.token))).toBe("resolved");
    keys.delete("deposito");
    keys.create("deposito"); // version 1 again, another key pair
    await publicKeys.refresh("deposito");
    expect(await answerOf(tokens.verify(minted.token))).toBe(
      "token_invalid: The token signature does not match",
    );
  });
});
