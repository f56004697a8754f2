import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import { RecordCache } from "../../src/vault/record-cache.js";

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function setup(max = 100) {
  const clock = new ManualClock();
  const cache = new RecordCache<string>({
    ttlMs: 30_000,
    negativeTtlMs: 5_000,
    maxEntries: max,
    clock: clock.now,
  });
  return { clock, cache };
}

describe("RecordCache", () => {
  it("a write during an in-flight load wins over the load's older result", async () => {
    const { cache } = setup();
    const load = deferred<string | undefined>();
    const reading = cache.get("t1", () => load.promise);
    cache.set("t1", "revoked");
    load.resolve("active"); // read from before the write
    expect(await reading).toBe("active"); // the caller that asked before the write
    expect(await cache.get("t1", async () => "should not load")).toBe("revoked");
  });

  it("hits expire after the TTL, misses after the negative TTL", async () => {
    const { cache, clock } = setup();
    let loads = 0;
    const load = async () => {
      loads += 1;
      return loads === 1 ? undefined : "found";
    };
    expect(await cache.get("t", load)).toBeUndefined();
    clock.advance(4_999);
    expect(await cache.get("t", load)).toBeUndefined();
    clock.advance(1);
    expect(await cache.get("t", load)).toBe("found");
    clock.advance(29_999);
    expect(await cache.get("t", load)).toBe("found");
    expect(loads).toBe(2);
    clock.advance(1);
    await cache.get("t", load);
    expect(loads).toBe(3);
  });

  it("a failed load is not cached and is shared by concurrent callers", async () => {
    const { cache } = setup();
    let loads = 0;
    const failing = async () => {
      loads += 1;
      throw new Error("vault down");
    };
    const results = await Promise.allSettled([cache.get("t", failing), cache.get("t", failing)]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    expect(loads).toBe(1);
    expect(await cache.get("t", async () => "back")).toBe("back");
  });

  it("keeps at most maxEntries, dropping the oldest", async () => {
    const { cache } = setup(2);
    cache.set("a", "1");
    cache.set("b", "2");
    cache.set("c", "3");
    expect(cache.size).toBe(2);
    expect(await cache.get("a", async () => "reloaded")).toBe("reloaded");
  });
});
