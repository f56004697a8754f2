/**
 * The algorithm is never taken from the token alone: each `kid` label has an allowlist
 * (`issuerAlgorithms`, default HS256 only), checked before any key is read for the label,
 * and each algorithm has exactly one signature spelling (HS256: 43 characters, EdDSA: 86,
 * unused bits zero). So no token can make a public key act as an HMAC secret, an HMAC
 * secret act as a public key, or one signature have two spellings.
 */
import { sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { answerOf, claimsAt, codeOf, fleet, forgeEdDsa, forgeHmac, SHARED } from "./fleet.js";

const EDDSA = { alg: "EdDSA", typ: "JWT", kid: "deposito.v1" };

/** Replaces a token's signature part. */
const withSignature = (token: string, signature: string) =>
  `${token.slice(0, token.lastIndexOf("."))}.${signature}`;

describe("per-issuer algorithm allowlists", () => {
  it("an HS256 token naming an EdDSA-only issuer is refused without any store read", async () => {
    const { clock, tokens, reads } = fleet();
    const token = forgeHmac(
      { alg: "HS256", kid: "deposito.v1" },
      claimsAt(clock, "deposito"),
      SHARED,
    );
    expect(await answerOf(tokens.verify(token))).toBe(
      "token_invalid: Algorithm HS256 is not allowed for 'deposito' tokens",
    );
    expect(reads()).toBe(0);
  });

  it("a shared-key token claiming an EdDSA-only issuer is refused, strict mode or not", async () => {
    const { clock, tokens } = fleet();
    const claiming = (iss: string) => forgeHmac({ alg: "HS256" }, claimsAt(clock, iss), SHARED);
    expect(await answerOf(tokens.verify(claiming("deposito")))).toBe(
      "token_invalid: Issuer 'deposito' does not sign HS256 tokens, so a shared-key token cannot claim it",
    );
    // During the migration (HS256 still listed) and for HS256 issuers, the fallback stays.
    const migrating = fleet({ issuerAlgorithms: { deposito: ["EdDSA", "HS256"] } });
    const token = forgeHmac({ alg: "HS256" }, claimsAt(migrating.clock, "deposito"), SHARED);
    expect(await codeOf(migrating.tokens.verify(token))).toBe("resolved");
    expect(await codeOf(tokens.verify(claiming("billing")))).toBe("resolved");
  });

  it("an EdDSA token naming an HS256 issuer is refused without any store read", async () => {
    const { clock, tokens, pair, reads } = fleet();
    const token = forgeEdDsa(
      { ...EDDSA, kid: "billing.v1" },
      claimsAt(clock, "billing"),
      pair.privateKey,
    );
    expect(await answerOf(tokens.verify(token))).toBe(
      "token_invalid: Algorithm EdDSA is not allowed for 'billing' tokens",
    );
    expect(reads()).toBe(0);
  });

  it("an EdDSA token naming the shared key is refused without any store read", async () => {
    const { clock, tokens, pair, reads } = fleet();
    const token = forgeEdDsa(
      { ...EDDSA, kid: "shared.v1" },
      claimsAt(clock, "deposito"),
      pair.privateKey,
    );
    expect(await answerOf(tokens.verify(token))).toBe(
      "token_invalid: Algorithm EdDSA is not allowed for 'shared' tokens",
    );
    expect(reads()).toBe(0);
  });

  it("an EdDSA issuer outside trustedIssuers is untrusted, without any store read", async () => {
    const { clock, tokens, pair, reads } = fleet({ tokens: { trustedIssuers: ["billing"] } });
    const token = forgeEdDsa(EDDSA, claimsAt(clock, "deposito"), pair.privateKey);
    expect(await answerOf(tokens.verify(token))).toBe(
      "issuer_untrusted: Tokens signed with 'deposito' keys are not trusted here",
    );
    expect(reads()).toBe(0);
  });

  it("HS256 over deposito's public key bytes (the classic confusion) never verifies, even where HS256 is allowed", async () => {
    const { clock, tokens, pair } = fleet({ issuerAlgorithms: { deposito: ["EdDSA", "HS256"] } });
    const raw = Buffer.from(pair.publicKey.export({ format: "jwk" }).x as string, "base64url");
    const pem = pair.publicKey.export({ format: "pem", type: "spki" }) as string;
    for (const secret of [raw, pem]) {
      const token = forgeHmac(
        { alg: "HS256", kid: "deposito.v1" },
        claimsAt(clock, "deposito"),
        secret,
      );
      expect(await answerOf(tokens.verify(token))).toBe(
        "token_invalid: Issuer 'deposito' has no signing key of its own",
      );
    }
  });
});

describe("EdDSA header and signature spelling", () => {
  it("an EdDSA header over a 43-character HMAC signature is not a canonical EdDSA signature", async () => {
    const { clock, tokens, reads } = fleet();
    const token = forgeHmac(EDDSA, claimsAt(clock, "deposito"), SHARED);
    expect(await answerOf(tokens.verify(token))).toBe(
      "token_invalid: The token signature is not a canonical EdDSA signature",
    );
    expect(reads()).toBe(0);
  });

  it("an EdDSA header over a 64-byte HMAC-SHA512 signature (an Ed25519 signature's size) does not match", async () => {
    const { clock, tokens } = fleet();
    const token = forgeHmac(EDDSA, claimsAt(clock, "deposito"), SHARED, "sha512");
    expect(token.split(".")[2]).toHaveLength(86);
    expect(await answerOf(tokens.verify(token))).toBe(
      "token_invalid: The token signature does not match",
    );
  });

  it("an HS256 header over an 86-character signature is not a canonical HS256 signature", async () => {
    const { clock, tokens, pair } = fleet();
    const eddsa = forgeEdDsa(EDDSA, claimsAt(clock, "deposito"), pair.privateKey);
    const token = forgeHmac(
      { alg: "HS256", kid: "shared.v1" },
      claimsAt(clock, "deposito"),
      SHARED,
    );
    expect(await answerOf(tokens.verify(withSignature(token, eddsa.split(".")[2] as string)))).toBe(
      "token_invalid: The token signature is not a canonical HS256 signature",
    );
  });

  it("a second spelling of a valid signature (its 4 unused bits set) is refused", async () => {
    const { clock, tokens, pair } = fleet();
    const token = forgeEdDsa(EDDSA, claimsAt(clock, "deposito"), pair.privateKey);
    const signature = token.split(".")[2] as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.at(-1) as string);
    const respelled = `${signature.slice(0, -1)}${alphabet[last + 1]}`;
    // A lenient decoder reads the same 64 bytes from it.
    expect(Buffer.from(respelled, "base64url")).toEqual(Buffer.from(signature, "base64url"));
    expect(await answerOf(tokens.verify(token))).toBe("resolved");
    expect(await answerOf(tokens.verify(withSignature(token, respelled)))).toBe(
      "token_invalid: The token signature is not a canonical EdDSA signature",
    );
  });

  it("a malleated signature (S + L, the same point equation) is refused", async () => {
    const { clock, tokens, pair } = fleet();
    const token = forgeEdDsa(EDDSA, claimsAt(clock, "deposito"), pair.privateKey);
    const bytes = Buffer.from(token.split(".")[2] as string, "base64url");
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const s = BigInt(`0x${Buffer.from(bytes.subarray(32)).reverse().toString("hex")}`) + L;
    const sBytes = Buffer.from(s.toString(16).padStart(64, "0"), "hex").reverse();
    const malleated = Buffer.concat([bytes.subarray(0, 32), sBytes]).toString("base64url");
    expect(await answerOf(tokens.verify(withSignature(token, malleated)))).toBe(
      "token_invalid: The token signature does not match",
    );
  });

  it("85- and 87-character signatures are not canonical EdDSA signatures", async () => {
    const { clock, tokens, pair } = fleet();
    const token = forgeEdDsa(EDDSA, claimsAt(clock, "deposito"), pair.privateKey);
    for (const bad of [token.slice(0, -1), `${token}A`]) {
      expect(await answerOf(tokens.verify(bad))).toBe(
        "token_invalid: The token signature is not a canonical EdDSA signature",
      );
    }
  });

  it("an EdDSA token without a kid, or with a kid that names no version, is refused without any store read", async () => {
    const { clock, tokens, pair, reads } = fleet();
    for (const header of [
      { alg: "EdDSA", typ: "JWT" },
      { ...EDDSA, kid: "deposito" },
    ]) {
      const token = forgeEdDsa(header, claimsAt(clock, "deposito"), pair.privateKey);
      expect(await answerOf(tokens.verify(token))).toBe(
        "token_invalid: An EdDSA token needs a kid of the form <issuer>.v<version>",
      );
    }
    expect(reads()).toBe(0);
  });

  const respell: Array<[string, (signature: string) => string]> = [
    ["unused bits set", (signature) => `${signature.slice(0, -1)}B`],
    ["43 characters", (signature) => signature.slice(0, 43)],
    ["87 characters", (signature) => `${signature}A`],
  ];
  respell.forEach(([what, change], index) => {
    it(`a signature of ${what} gets the same answer before and after its EdDSA header is cached`, async () => {
      const { clock, tokens, pair } = fleet();
      // A header no other test caches: JSON spacing makes its encoding unique.
      const header = `{"alg":"EdDSA",${" ".repeat(300 + index)}"kid":"deposito.v1"}`;
      const payload = Buffer.from(JSON.stringify(claimsAt(clock, "deposito"))).toString(
        "base64url",
      );
      const input = `${Buffer.from(header).toString("base64url")}.${payload}`;
      const signature = sign(null, Buffer.from(input), pair.privateKey).toString("base64url");
      const candidate = `${input}.${change(signature)}`;
      const uncached = await answerOf(tokens.verify(candidate));
      expect(uncached).toBe(
        "token_invalid: The token signature is not a canonical EdDSA signature",
      );
      expect(await answerOf(tokens.verify(`${input}.${signature}`))).toBe("resolved");
      expect(await answerOf(tokens.verify(candidate))).toBe(uncached);
    });
  });
});
