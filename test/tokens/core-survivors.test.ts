/**
 * Refusals and boundaries of the token service that the mutation run showed no test pinned:
 * the exact texts of EdDSA configuration refusals, the mintMany batch limit and its empty
 * batch, and the hint of the shared-key refusal for an issuer that does not sign HS256.
 */
import { describe, expect, it } from "vitest";
import type { AuthError } from "../../src/errors.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { peekHeader } from "../../src/tokens/header.js";
import { MAX_MINT_BATCH, TokenService } from "../../src/tokens/token-service.js";
import { answerOf, claimsAt, fleet, forgeEdDsa, forgeHmac, SHARED } from "../eddsa/fleet.js";
import { checkRefusal } from "./refusals.js";

const FORBIDDEN = [SHARED];

describe("EdDSA configuration refusals say what to pass", () => {
  it("a service listing EdDSA without publicKeys is told to pass a PublicKeySet", async () => {
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: SHARED } });
    await checkRefusal(
      {
        name: "no publicKeys",
        run: () =>
          new TokenService({
            keyRing: new KeyRing({ source }),
            issuerAlgorithms: { deposito: ["EdDSA"] },
          }),
        expected: {
          code: "config_invalid",
          message: "issuerAlgorithms lists EdDSA but no publicKeys",
          hint: "pass { publicKeys: new PublicKeySet({ reader }) }",
        },
      },
      FORBIDDEN,
    );
  });

  it("an EdDSA issuer minting without an eddsaSigner is told to pass one or list HS256 first", async () => {
    const { tokens } = fleet({ tokens: { eddsaSigner: undefined } });
    await checkRefusal(
      {
        name: "no eddsaSigner",
        run: () => tokens.forIssuer("deposito").mint({ groups: ["public"] }),
        expected: {
          code: "config_invalid",
          message: "Issuer 'deposito' mints EdDSA but no eddsaSigner",
          hint: "pass { eddsaSigner } (Vault Transit or the SQLite store), or list HS256 first",
        },
      },
      FORBIDDEN,
    );
  });
});

describe("mintMany batch limits", () => {
  it("a batch of exactly MAX_MINT_BATCH tokens is minted", async () => {
    const { tokens } = fleet();
    const batch = Array.from({ length: MAX_MINT_BATCH }, () => ({ groups: ["public"] }));
    const minted = await tokens.forIssuer("billing").mintMany(batch);
    expect(minted).toHaveLength(MAX_MINT_BATCH);
  });

  it("a batch over MAX_MINT_BATCH is refused with a hint to split it", async () => {
    const { tokens } = fleet();
    const batch = Array.from({ length: MAX_MINT_BATCH + 1 }, () => ({ groups: ["public"] }));
    await checkRefusal(
      {
        name: "batch too large",
        run: () => tokens.forIssuer("billing").mintMany(batch),
        expected: {
          code: "invalid_input",
          message: `At most ${MAX_MINT_BATCH} tokens per mintMany call, got ${MAX_MINT_BATCH + 1}`,
          hint: "split the batch",
        },
      },
      FORBIDDEN,
    );
  });

  it("an empty batch mints nothing and reads no key", async () => {
    const { tokens, reads } = fleet();
    expect(await tokens.forIssuer("billing").mintMany([])).toEqual([]);
    expect(reads()).toBe(0);
  });

  it("an empty batch from an EdDSA issuer without a signer is not a configuration error", async () => {
    const { tokens } = fleet({ tokens: { eddsaSigner: undefined } });
    expect(await tokens.forIssuer("deposito").mintMany([])).toEqual([]);
  });
});

describe("shared-key tokens claiming an issuer that does not sign HS256", () => {
  it("are refused with a hint naming issuerAlgorithms", async () => {
    const { clock, tokens } = fleet();
    const token = forgeHmac({ alg: "HS256" }, claimsAt(clock, "deposito"), SHARED);
    await checkRefusal(
      {
        name: "shared key claims deposito",
        run: () => tokens.verify(token),
        expected: {
          code: "token_invalid",
          message:
            "Issuer 'deposito' does not sign HS256 tokens, so a shared-key token cannot claim it",
          hint: "the issuer's algorithm list (issuerAlgorithms) leaves out HS256",
        },
      },
      [...FORBIDDEN, token],
    );
  });
});

describe("the warm key path refuses what the label's algorithm list leaves out", () => {
  it("an EdDSA token of an HS256-only issuer is refused even when its public keys are held", async () => {
    const { clock, tokens, pair, publicKeys } = fleet({
      issuerAlgorithms: { deposito: ["HS256"] },
    });
    await publicKeys.get("deposito");
    const token = forgeEdDsa(
      { alg: "EdDSA", typ: "JWT", kid: "deposito.v1" },
      claimsAt(clock, "deposito"),
      pair.privateKey,
    );
    expect(await answerOf(tokens.verify(token))).toBe(
      "token_invalid: Algorithm EdDSA is not allowed for 'deposito' tokens",
    );
  });
});

describe("a cached EdDSA header gives the rest of the token the same checks", () => {
  const b64 = (text: string) => Buffer.from(text).toString("base64url");
  /** "peeked", or the refusal's code and message. */
  const answer = (token: string) => {
    try {
      peekHeader(token, 8192);
      return "peeked";
    } catch (error) {
      return `${(error as AuthError).code}: ${(error as AuthError).message}`;
    }
  };
  const rests: Array<[string, string]> = [
    ["a payload of standard-base64 characters only", `+/+/.${"A".repeat(86)}`],
    ["a signature of 85 standard-base64 characters", `e30.${"+".repeat(85)}A`],
  ];
  rests.forEach(([what, rest], index) => {
    it(`${what}: refused before and after the header is cached`, () => {
      // A header no other test caches: JSON spacing makes its encoding unique.
      const header = b64(`{"alg":"EdDSA",${" ".repeat(700 + index)}"kid":"deposito.v1"}`);
      const uncached = answer(`${header}.${rest}`);
      expect(uncached).not.toBe("peeked");
      expect(answer(`${header}.e30.${"A".repeat(86)}`)).toBe("peeked");
      expect(answer(`${header}.${rest}`)).toBe(uncached);
    });
  });
});
