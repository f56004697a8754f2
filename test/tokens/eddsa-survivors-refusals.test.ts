/**
 * EdDSA refusals spelled out (code, exact message, hint, details): a signer whose answer
 * cannot make tokens (wrong count, version or signature size: an outage, store_unavailable,
 * nothing minted), and a token whose `kid` names an issuer or a version with no usable key.
 */
import { describe, it } from "vitest";
import type { MemoryEdDsaKeys } from "../../src/eddsa/memory.js";
import type { EdDsaSignatures, EdDsaSigner } from "../../src/eddsa/signer.js";
import { claimsAt, fleet, forgeEdDsa } from "../eddsa/fleet.js";
import { checkRefusal, type Refusal } from "./refusals.js";

const DESCRIPTION = "faulty test signer";
const SIGNER_DETAILS = { issuer: "deposito", signer: DESCRIPTION };

/**
 * A fleet whose deposito mints EdDSA through a signer that signs with the fleet's real keys
 * and then spoils the answer with `spoil`.
 */
function spoiledFleet(spoil: (answer: EdDsaSignatures) => EdDsaSignatures) {
  let keys: MemoryEdDsaKeys | undefined;
  const signMany = async (issuer: string, inputs: (version: number) => Buffer[]) =>
    spoil(await (keys as MemoryEdDsaKeys).signMany(issuer, inputs));
  const eddsaSigner: EdDsaSigner = {
    description: DESCRIPTION,
    sign: async (issuer, input) => {
      const { version, signatures } = await signMany(issuer, (next) => [input(next)]);
      return { version, signature: signatures[0] as Buffer };
    },
    signMany,
  };
  const setup = fleet({ tokens: { eddsaSigner } });
  keys = setup.keys;
  return setup;
}

/** Every token a spoiled signer answered is refused the same way, single or batch. */
function refusedMint(
  spoil: (answer: EdDsaSignatures) => EdDsaSignatures,
  expected: Refusal,
  how: "mint" | "mintMany",
) {
  const { tokens, pair } = spoiledFleet(spoil);
  const issuer = tokens.forIssuer("deposito");
  const run = () =>
    how === "mint"
      ? issuer.mint({ groups: ["public"] })
      : issuer.mintMany([{ groups: ["public"] }, { groups: ["public"] }]);
  const privateKey = pair.privateKey.export({ format: "der", type: "pkcs8" }).toString("hex");
  return checkRefusal({ name: how, run, expected }, [privateKey]);
}

describe("a signer whose answer cannot make tokens is an outage", () => {
  it("one signature too few for a batch: nothing minted", () =>
    refusedMint(
      (answer) => ({ ...answer, signatures: answer.signatures.slice(1) }),
      {
        code: "store_unavailable",
        message: "The EdDSA signer answered 1 signatures for 2 tokens",
        details: SIGNER_DETAILS,
      },
      "mintMany",
    ));

  it("one signature too many for a batch: nothing minted", () =>
    refusedMint(
      (answer) => ({ ...answer, signatures: [...answer.signatures, Buffer.alloc(64)] }),
      {
        code: "store_unavailable",
        message: "The EdDSA signer answered 3 signatures for 2 tokens",
        details: SIGNER_DETAILS,
      },
      "mintMany",
    ));

  for (const how of ["mint", "mintMany"] as const) {
    it(`${how}: key version 0 is refused, naming the issuer and the signer`, () =>
      refusedMint(
        (answer) => ({ ...answer, version: 0 }),
        {
          code: "store_unavailable",
          message: "The EdDSA signer answered key version 0",
          details: SIGNER_DETAILS,
        },
        how,
      ));

    it(`${how}: a 63-byte signature is refused, naming the issuer and the signer`, () =>
      refusedMint(
        (answer) => ({
          ...answer,
          signatures: answer.signatures.map((signature) => signature.subarray(0, 63)),
        }),
        {
          code: "store_unavailable",
          message: "The EdDSA signer answered a 63-byte signature, not 64",
          details: SIGNER_DETAILS,
        },
        how,
      ));
  }
});

describe("a token whose kid names no usable EdDSA key", () => {
  /** A deposito token signed by hand with `kid`, verified by `setup`'s service. */
  function verify(setup: ReturnType<typeof fleet>, kid: string) {
    const token = forgeEdDsa(
      { alg: "EdDSA", typ: "JWT", kid },
      claimsAt(setup.clock, kid.split(".")[0] as string),
      setup.pair.privateKey,
    );
    return { token, run: () => setup.tokens.verify(token) };
  }

  it("an issuer allowed EdDSA but with no key: the hint says this fleet lacks it", async () => {
    const setup = fleet({ issuerAlgorithms: { deposito: ["EdDSA"], billing: ["EdDSA", "HS256"] } });
    const { token, run } = verify(setup, "billing.v1");
    await checkRefusal(
      {
        name: "no key",
        run,
        expected: {
          code: "token_invalid",
          message: "Issuer 'billing' has no EdDSA key",
          hint: "the token was signed with a key this fleet does not have",
        },
      },
      [token],
    );
  });

  it("a retired version: the hint names the floor, the details the versions", async () => {
    const setup = fleet();
    setup.keys.rotate("deposito");
    setup.keys.retire("deposito", 2);
    const { token, run } = verify(setup, "deposito.v1");
    await checkRefusal(
      {
        name: "retired",
        run,
        expected: {
          code: "token_invalid",
          message: "The token was signed with key version deposito.v1, which is retired",
          hint: "versions below 2 no longer verify; mint a new token",
          details: { issuer: "deposito", version: 1, min_version: 2 },
        },
      },
      [token],
    );
  });

  it("a version past the latest, still unknown after a re-read: details name the latest", async () => {
    const setup = fleet();
    const { token, run } = verify(setup, "deposito.v7");
    await checkRefusal(
      {
        name: "unknown",
        run,
        expected: {
          code: "token_invalid",
          message: "The token names key version deposito.v7, which is unknown",
          hint: "the key store does not have that version; was it minted elsewhere?",
          details: { issuer: "deposito", version: 7, latest: 1 },
        },
      },
      [token],
    );
  });
});
