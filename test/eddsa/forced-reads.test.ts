/**
 * The `kid` of an EdDSA token is read before its signature can be checked, so, as for
 * HS256 (test/tokens/unknown-labels.test.ts), made-up labels must not buy store reads or
 * lasting state. A label takes the EdDSA path only if `issuerAlgorithms` lists EdDSA for
 * it, so made-up labels cost nothing at all; issuers configured but without a key are
 * looked up within the forced-read limits (1 a second per label; across labels a burst of
 * 10, then 1 a second), and one read serves every token waiting for it.
 */
import { describe, expect, it } from "vitest";
import type { StoredIssuerKeys } from "../../src/eddsa/public-key.js";
import { answerOf, claimsAt, codeOf, fleet, forgeEdDsa } from "./fleet.js";

/** Distinct, random-looking labels. */
function* labels(count: number): Generator<string> {
  let state = 0x2545f491;
  for (let i = 0; i < count; i += 1) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    yield `l${state.toString(36)}${i.toString(36)}`;
  }
}

describe("EdDSA tokens with labels not configured for EdDSA", () => {
  it("10,000 made-up labels cost no store read and leave no state", async () => {
    const { clock, tokens, pair, publicKeys, reads } = fleet();
    for (const label of labels(10_000)) {
      const token = forgeEdDsa(
        { alg: "EdDSA", kid: `${label}.v1` },
        claimsAt(clock, label),
        pair.privateKey,
      );
      expect(await codeOf(tokens.verify(token))).toBe("token_invalid");
    }
    expect(reads()).toBe(0);
    expect(publicKeys.heldIssuers()).toEqual([]);
  });
});

describe("EdDSA issuers configured but without a key", () => {
  it("one issuer: at most one lookup a second, however many tokens", async () => {
    const { clock, keys, tokens, pair, publicKeys } = fleet({
      issuerAlgorithms: { deposito: ["EdDSA"], ghost: ["EdDSA"] },
    });
    const token = forgeEdDsa(
      { alg: "EdDSA", kid: "ghost.v1" },
      claimsAt(clock, "ghost"),
      pair.privateKey,
    );
    for (let i = 0; i < 2000; i += 1) {
      clock.advance(1);
      expect(await answerOf(tokens.verify(token))).toBe(
        "token_invalid: Issuer 'ghost' has no EdDSA key",
      );
    }
    expect(keys.readCount("ghost")).toBe(2); // at 1 ms and at 1001 ms
    expect(publicKeys.isHeld("ghost")).toBe(false);
  });

  it("many issuers: a burst of 10 lookups, then 1 a second", async () => {
    const ghosts = [...labels(50)];
    const issuerAlgorithms = Object.fromEntries(ghosts.map((g) => [g, ["EdDSA"] as const]));
    const { clock, tokens, pair, reads } = fleet({ issuerAlgorithms });
    for (const ghost of ghosts) {
      const token = forgeEdDsa(
        { alg: "EdDSA", kid: `${ghost}.v1` },
        claimsAt(clock, ghost),
        pair.privateKey,
      );
      expect(await codeOf(tokens.verify(token))).toBe("token_invalid");
    }
    expect(reads()).toBe(10);
    clock.advance(1000);
    for (const ghost of ghosts.slice(0, 5)) {
      const token = forgeEdDsa(
        { alg: "EdDSA", kid: `${ghost}.v1` },
        claimsAt(clock, ghost),
        pair.privateKey,
      );
      await codeOf(tokens.verify(token));
    }
    expect(reads()).toBe(11);
  });

  it("lookups spent on absent issuers leave the budget that picks up a rotation", async () => {
    const ghosts = [...labels(50)];
    const issuerAlgorithms = {
      deposito: ["EdDSA"] as const,
      ...Object.fromEntries(ghosts.map((g) => [g, ["EdDSA"] as const])),
    };
    const { clock, keys, tokens, pair } = fleet({ issuerAlgorithms });
    const v1 = forgeEdDsa(
      { alg: "EdDSA", kid: "deposito.v1" },
      claimsAt(clock, "deposito"),
      pair.privateKey,
    );
    expect(await codeOf(tokens.verify(v1))).toBe("resolved");
    for (const ghost of ghosts) {
      const token = forgeEdDsa(
        { alg: "EdDSA", kid: `${ghost}.v1` },
        claimsAt(clock, ghost),
        pair.privateKey,
      );
      await codeOf(tokens.verify(token));
    }
    keys.rotate("deposito", pair);
    const v2 = forgeEdDsa(
      { alg: "EdDSA", kid: "deposito.v2" },
      claimsAt(clock, "deposito"),
      pair.privateKey,
    );
    expect(await codeOf(tokens.verify(v2))).toBe("resolved");
  });
});

describe("single flight", () => {
  /** Makes `keys.read` wait until the returned `release` is called. */
  function holdReads(keys: { read: (issuer: string) => Promise<StoredIssuerKeys> }) {
    const read = keys.read.bind(keys);
    let started = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    keys.read = (issuer) => {
      started += 1;
      return gate.then(() => read(issuer));
    };
    return { started: () => started, release };
  }

  /** Lets every pending promise chain run (no I/O is involved, so nothing else is waited for). */
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  it("20 tokens for a cold issuer wait for one read and all verify", async () => {
    const { clock, keys, tokens, pair } = fleet();
    const held = holdReads(keys);
    const verifies = Array.from({ length: 20 }, (_, i) =>
      codeOf(
        tokens.verify(
          forgeEdDsa(
            { alg: "EdDSA", kid: "deposito.v1" },
            claimsAt(clock, "deposito", `j${i}`),
            pair.privateKey,
          ),
        ),
      ),
    );
    await settle();
    expect(held.started()).toBe(1);
    held.release();
    expect(await Promise.all(verifies)).toEqual(Array(20).fill("resolved"));
    expect(held.started()).toBe(1);
  });

  it("20 tokens arriving when the cached keys expire wait for one read", async () => {
    const { clock, keys, tokens, pair } = fleet();
    const token = (jti: string) =>
      forgeEdDsa(
        { alg: "EdDSA", kid: "deposito.v1" },
        claimsAt(clock, "deposito", jti),
        pair.privateKey,
      );
    expect(await codeOf(tokens.verify(token("first")))).toBe("resolved");
    clock.advanceSeconds(301);
    const held = holdReads(keys);
    const verifies = Array.from({ length: 20 }, (_, i) => codeOf(tokens.verify(token(`j${i}`))));
    await settle();
    expect(held.started()).toBe(1);
    held.release();
    expect(await Promise.all(verifies)).toEqual(Array(20).fill("resolved"));
    expect(held.started()).toBe(1);
  });
});
