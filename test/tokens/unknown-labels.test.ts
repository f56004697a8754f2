/**
 * Issue 14 item 3: a token's `kid` label is read before its signature can be checked, so
 * made-up labels must not buy lasting state or secret-store reads. Each new label used to
 * create a provider that was never freed (~1.2 KB) and force a store read (on Vault, a Vault
 * read). Now an unknown label leaves nothing behind but bounded entries, a label outside
 * `trustedIssuers` is refused without a read, and lookups of unknown labels are limited per
 * label (1 a second) and globally (a token bucket: a burst of 10, then 1 a second; see
 * DEFAULT_FORCED_READ_LIMITS); re-reads of known keys for a newer version have a budget of
 * their own. The numbers below are those documented limits, written out.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/index.js";
import { ForcedReads } from "../../src/tokens/read-limiter.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { forgeToken } from "../support/forge.js";

const SHARED = "shared-secret-for-the-whole-fleet-0123456789";
const DEPOSITO = "deposito-own-secret-0123456789-abcdefghijkl";
/**
 * A million in `npm test`; a tenth under mutation testing (vitest.stryker.config.mjs), where
 * this test runs for every verify-path mutant: 100,000 labels at ~1.2 KB of lasting state
 * each would still be ~120 MB, far above the bound, so an unbounded cache is still caught.
 */
const LABELS = process.env.GOFR_TEST_MUTATION === "1" ? 100_000 : 1_000_000;
/** Heap growth allowed for a million labels: state must not grow with them. */
const HEAP_BOUND_BYTES = 10 * 1024 * 1024;

/** `global.gc`, exposed at run time (no special vitest pool for this one file). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

function fleet(trustedIssuers?: string[]) {
  const clock = new ManualClock();
  const source = new MemorySecretSource({
    secrets: { [SHARED_SECRET_NAME]: SHARED, [issuerSecretName("deposito")]: DEPOSITO },
    clock: clock.now,
  });
  const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
  const tokens = new TokenService({ keyRing, trustedIssuers, clock: clock.now });
  let storeReads = 0;
  const read = source.read.bind(source);
  source.read = (name, version) => {
    storeReads += 1;
    return read(name, version);
  };
  return { clock, keyRing, tokens, source, reads: () => storeReads };
}

/** A token naming `<label>.v1`, its signature garbage (canonical, so the kid is reached). */
const PAYLOAD = Buffer.from('{"jti":"x","groups":["public"],"exp":4000000000}').toString(
  "base64url",
);
const SIGNATURE = "A".repeat(43);
function tokenFor(label: string): string {
  const header = Buffer.from(`{"alg":"HS256","kid":"${label}.v1"}`).toString("base64url");
  return `${header}.${PAYLOAD}.${SIGNATURE}`;
}

/** Distinct, random-looking labels (a cheap generator, so the run stays a few seconds). */
function* labels(count: number): Generator<string> {
  let state = 0x2545f491;
  for (let i = 0; i < count; i += 1) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    yield `l${state.toString(36)}${i.toString(36)}`;
  }
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("a flood of unknown kid labels", () => {
  it("a million labels (a tenth under mutation testing): no lasting state, store reads within the global limit", async () => {
    const gc = collector();
    const { clock, keyRing, tokens, reads } = fleet();
    await tokens.verify(forgeToken({ alg: "HS256" }, {}, SHARED)).catch(() => undefined);
    gc();
    const before = process.memoryUsage().heapUsed;
    const startReads = reads();
    const codes = new Map<string, number>();
    let last = "";
    // Refusals need no stack traces here; capturing a million of them would only slow the
    // run down (it changes nothing the test measures).
    const { stackTraceLimit } = Error;
    Error.stackTraceLimit = 0;
    try {
      for (const label of labels(LABELS)) {
        clock.advance(1); // a millisecond a label: the bucket refills once a thousand labels
        last = label;
        const code = await codeOf(tokens.verify(tokenFor(label)));
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(codes).toEqual(new Map([["token_invalid", LABELS]]));
    // Burst 10 plus 1 a second over LABELS milliseconds.
    expect(reads() - startReads).toBeLessThanOrEqual(10 + LABELS / 1000);
    expect(reads() - startReads).toBeGreaterThan(0); // unknown labels are still looked up
    expect(grown).toBeLessThan(HEAP_BOUND_BYTES);
    expect(keyRing.providerForLabel(last)).toBeUndefined();
  }, 60_000);

  it("with trustedIssuers, other labels are refused without any store read", async () => {
    const { tokens, reads } = fleet(["deposito"]);
    const start = reads();
    for (const label of labels(10_000)) {
      expect(await codeOf(tokens.verify(tokenFor(label)))).toBe("issuer_untrusted");
    }
    expect(reads()).toBe(start);
  });

  it("a real issuer's key is still found and kept, within the same limits", async () => {
    const { keyRing, tokens, reads } = fleet();
    const own = forgeToken(
      { alg: "HS256", kid: "deposito.v1" },
      { jti: "j", groups: ["public"], exp: 4e9, nbf: 0, iat: 0, aud: "gofr-api", iss: "deposito" },
      DEPOSITO,
    );
    expect(await codeOf(tokens.verify(own))).toBe("resolved");
    expect(keyRing.providerForLabel("deposito")).toBeDefined();
    const after = reads();
    for (let i = 0; i < 100; i += 1) expect(await codeOf(tokens.verify(own))).toBe("resolved");
    expect(reads()).toBe(after); // a known key is not read again before its TTL
  });

  it("a burst of tokens for a new issuer's key waits for one lookup instead of being refused", async () => {
    const { tokens, reads } = fleet();
    const own = (jti: string) =>
      forgeToken(
        { alg: "HS256", kid: "deposito.v1" },
        { jti, groups: ["public"], exp: 4e9, nbf: 0, iat: 0, aud: "gofr-api", iss: "deposito" },
        DEPOSITO,
      );
    const start = reads();
    const codes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => codeOf(tokens.verify(own(`j${i}`)))),
    );
    expect(codes).toEqual(Array(20).fill("resolved"));
    expect(reads() - start).toBe(1);
  });
});

describe("the forced-read budgets", () => {
  it("a flood of unknown labels does not use up the reads that pick up a rotation", async () => {
    const { clock, tokens, source, reads } = fleet();
    const now = Math.floor(clock.now() / 1000);
    const claims = { jti: "j", groups: ["public"], iat: now, nbf: now, exp: now + 60 };
    const v1 = forgeToken(
      { alg: "HS256", kid: "shared.v1" },
      { ...claims, aud: "gofr-api" },
      SHARED,
    );
    expect(await codeOf(tokens.verify(v1))).toBe("resolved");
    // The clock stands still: 50 made-up labels spend the whole lookup budget.
    for (const label of labels(50)) await codeOf(tokens.verify(tokenFor(label)));
    const before = reads();
    // Another process rotates the shared secret and mints with v2.
    const ROTATED = "the-rotated-shared-secret-for-the-fleet-0123456789";
    source.set(SHARED_SECRET_NAME, ROTATED);
    const v2 = forgeToken(
      { alg: "HS256", kid: "shared.v2" },
      { ...claims, aud: "gofr-api" },
      ROTATED,
    );
    expect(await codeOf(tokens.verify(v2))).toBe("resolved");
    expect(reads() - before).toBe(1);
  });
});

describe("ForcedReads", () => {
  const key = () => Promise.resolve(undefined);

  it("allows a burst of 10, then 1 a second across labels, and 1 a second per label", async () => {
    const clock = new ManualClock();
    const reads = new ForcedReads(clock.now);
    let calls = 0;
    /** Whether `run` started a new read for `label` (settled at once, so none is joined). */
    const started = async (label: string) => {
      const before = calls;
      await reads.run(label, () => {
        calls += 1;
        return key();
      });
      return calls > before;
    };
    const burst: boolean[] = [];
    for (let i = 0; i < 12; i += 1) burst.push(await started(`a${i}`));
    expect(burst).toEqual([...Array(10).fill(true), false, false]);
    clock.advance(999);
    expect(await started("b")).toBe(false);
    clock.advance(1);
    expect(await started("b")).toBe(true);
    expect(await started("c")).toBe(false);
    clock.advance(5000); // five tokens back in the bucket
    expect(await started("a0")).toBe(true);
    expect(await started("a0")).toBe(false); // its own second has not passed
    expect(await started("a1")).toBe(true);
  });

  it("regains perSecond reads a second: at 2 a second, one every 500 ms", async () => {
    const clock = new ManualClock();
    const reads = new ForcedReads(clock.now, {
      perLabelIntervalMs: 0,
      burst: 1,
      perSecond: 2,
      labelsRemembered: 16,
    });
    expect(reads.run("a", key)).toBeDefined();
    expect(reads.run("b", key)).toBeUndefined(); // the burst of 1 is spent
    clock.advance(250); // half a read back
    expect(reads.run("b", key)).toBeUndefined();
    clock.advance(250);
    expect(reads.run("b", key)).toBeDefined();
  });

  it("joins a read in flight for the same label instead of counting another", async () => {
    const clock = new ManualClock();
    const reads = new ForcedReads(clock.now);
    let release!: () => void;
    const held = new Promise<undefined>((resolve) => {
      release = () => resolve(undefined);
    });
    let calls = 0;
    const read = () => {
      calls += 1;
      return held;
    };
    const first = reads.run("x", read);
    const second = reads.run("x", read);
    expect(second).toBe(first);
    expect(calls).toBe(1);
    release();
    await first;
    expect(reads.size.running).toBe(0);
  });

  it("remembers at most 1024 labels", () => {
    const clock = new ManualClock();
    const reads = new ForcedReads(clock.now, {
      perLabelIntervalMs: 1000,
      burst: 5000,
      perSecond: 0,
      labelsRemembered: 1024,
    });
    for (let i = 0; i < 3000; i += 1) reads.run(`l${i}`, key);
    expect(reads.size.labels).toBe(1024);
  });
});

describe("KeyRing: looking up a label without a secret", () => {
  it("keeps no provider, and remembers at most 1024 absent issuers", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: SHARED } });
    const ring = new KeyRing({ source, clock: clock.now, logger: silentLogger });
    for (let i = 0; i < 1025; i += 1) expect(await ring.ownKeyFresh(`ghost${i}`)).toBeUndefined();
    expect(ring.providerForLabel("ghost0")).toBeUndefined();
    // The newest 1024 are remembered (no read); the oldest was forgotten (read again).
    expect(ring.isKnownAbsent("ghost1024")).toBe(true);
    expect(ring.isKnownAbsent("ghost1")).toBe(true);
    expect(ring.isKnownAbsent("ghost0")).toBe(false);
  });
});
