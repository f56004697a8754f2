/**
 * PublicKeySet: EdDSA issuers' public keys with the caching rules of JwtSecretProvider
 * (TTL, refresh-ahead, single flight, WARNING on rotation, stale reads ignored, change
 * counter), plus a bounded memory of issuers without a key.
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryEdDsaKeys } from "../../src/eddsa/memory.js";
import type { StoredIssuerKeys } from "../../src/eddsa/public-key.js";
import { PublicKeySet, type PublicKeySetOptions } from "../../src/eddsa/public-key-set.js";
import { ManualClock } from "../../src/testing/index.js";
import { captureLogger } from "../support/capture-logger.js";
import { codeOf } from "./fleet.js";

function setup(options: Partial<PublicKeySetOptions> = {}) {
  const clock = new ManualClock();
  const keys = new MemoryEdDsaKeys({ clock: clock.now });
  keys.create("deposito");
  const logger = captureLogger();
  const set = new PublicKeySet({ reader: keys, clock: clock.now, logger, ...options });
  return { clock, keys, logger, set, reads: () => keys.readCount("deposito") };
}

describe("PublicKeySet caching", () => {
  it("a second get within the TTL does not read; after it, one read", async () => {
    const { clock, set, reads } = setup();
    const first = await set.get("deposito");
    clock.advanceSeconds(269); // before the refresh-ahead window (the last 30 s)
    expect(await set.get("deposito")).toBe(first);
    expect(reads()).toBe(1);
    clock.advanceSeconds(31);
    expect(set.current("deposito")).toBeUndefined();
    await set.get("deposito");
    expect(reads()).toBe(2);
  });

  it("in the last tenth of the TTL, an access is served and starts one background read", async () => {
    const { clock, set, reads } = setup();
    await set.get("deposito");
    clock.advanceSeconds(269);
    expect(set.current("deposito")).toBeDefined();
    expect(reads()).toBe(1);
    clock.advanceSeconds(2);
    expect(set.current("deposito")).toBeDefined();
    expect(set.current("deposito")).toBeDefined();
    expect(reads()).toBe(2);
  });

  it("a re-read of the same versions keeps the key objects; a new version adds one", async () => {
    const { keys, set } = setup();
    const first = await set.get("deposito");
    keys.rotate("deposito");
    const second = await set.refresh("deposito");
    expect(second.keys.get(1)).toBe(first.keys.get(1));
    expect(second.latest).toBe(2);
    expect(second.keys.get(2)).toBeDefined();
  });

  it("a rotation logs one WARNING with old and new versions and emits rotated", async () => {
    const { keys, logger, set } = setup();
    const events: unknown[] = [];
    set.on("rotated", (event) => events.push(event));
    await set.get("deposito");
    await set.refresh("deposito");
    expect(logger.entries.filter((e) => e.level === "warn")).toEqual([]);
    keys.rotate("deposito");
    keys.retire("deposito", 2);
    const loaded = await set.refresh("deposito");
    const warnings = logger.entries.filter((e) => e.level === "warn");
    expect(warnings.map((e) => e.message)).toEqual(["EdDSA public keys changed"]);
    expect(warnings[0]?.fields).toMatchObject({
      key: "jwt-deposito",
      old_version: 1,
      new_version: 2,
      old_min_version: 1,
      new_min_version: 2,
      new_fingerprint: loaded.keys.get(2)?.fingerprint,
    });
    expect(events).toEqual([
      { issuer: "deposito", oldLatest: 1, newLatest: 2, oldMinVersion: 1, newMinVersion: 2 },
    ]);
    expect([...loaded.keys.keys()]).toEqual([2]);
    expect(set.stats.rotations).toBe(1);
  });

  it("versions outside floor..latest are dropped whatever the store answers", async () => {
    const { keys, set } = setup();
    keys.rotate("deposito");
    const stored = await keys.read("deposito");
    keys.read = async () => ({ ...stored, minVersion: 2 }); // still lists version 1
    expect([...(await set.get("deposito")).keys.keys()]).toEqual([2]);
  });
});

describe("PublicKeySet: issuers without a key, and outages", () => {
  it("an issuer without a key is secret_unavailable, remembered for the absence TTL", async () => {
    const { clock, keys, set } = setup({ absentTtlSeconds: 60 });
    expect(await codeOf(set.get("ghost"))).toBe("secret_unavailable");
    expect(await codeOf(set.get("ghost"))).toBe("secret_unavailable");
    expect(keys.readCount("ghost")).toBe(1);
    expect(set.isKnownAbsent("ghost")).toBe(true);
    expect(await codeOf(set.lookup("ghost"))).toBe("secret_unavailable"); // ignores it
    expect(keys.readCount("ghost")).toBe(2);
    clock.advanceSeconds(60);
    expect(await codeOf(set.get("ghost"))).toBe("secret_unavailable");
    expect(keys.readCount("ghost")).toBe(3);
  });

  it("remembers at most 1024 absent issuers (oldest forgotten first)", async () => {
    const { set } = setup();
    for (let i = 0; i < 1025; i += 1) await codeOf(set.get(`ghost${i}`));
    expect(set.isKnownAbsent("ghost0")).toBe(false);
    expect(set.isKnownAbsent("ghost1")).toBe(true);
    expect(set.isKnownAbsent("ghost1024")).toBe(true);
  });

  it("a failing store is store_unavailable, not 'no key', and is not remembered", async () => {
    const { keys, set, reads } = setup();
    const read = keys.read.bind(keys);
    keys.read = () => Promise.reject(new Error("connection refused"));
    expect(await codeOf(set.get("deposito"))).toBe("store_unavailable");
    expect(set.isKnownAbsent("deposito")).toBe(false);
    expect(set.stats.failures).toBe(1);
    keys.read = read;
    expect(await codeOf(set.get("deposito"))).toBe("resolved");
    expect(reads()).toBe(1);
  });

  it("a failed background refresh keeps the cached keys in use and says so once", async () => {
    const { clock, keys, logger, set } = setup();
    const loaded = await set.get("deposito");
    const failures: unknown[] = [];
    set.on("refreshFailed", (error) => failures.push(error));
    keys.read = () => Promise.reject(new Error("connection refused"));
    clock.advanceSeconds(280);
    expect(set.current("deposito")).toBe(loaded);
    await set.refresh("deposito").catch(() => undefined); // joins the background read
    expect(set.current("deposito")).toBe(loaded);
    expect(set.stats.refreshFailures).toBe(1);
    expect(failures).toHaveLength(1);
    expect(logger.entries.some((e) => e.message.startsWith("Background refresh"))).toBe(true);
  });

  it("a key that is not Ed25519 is secret_invalid", async () => {
    const { keys, set } = setup();
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    keys.read = async (): Promise<StoredIssuerKeys> => ({
      latest: 1,
      minVersion: 1,
      keys: new Map([[1, { key: rsa, createdAt: new Date(0) }]]),
    });
    expect(await codeOf(set.get("deposito"))).toBe("secret_invalid");
  });

  it("a floor above the latest version is secret_invalid", async () => {
    const { keys, set } = setup();
    const stored = await keys.read("deposito");
    keys.read = async () => ({ ...stored, minVersion: 2 });
    expect(await codeOf(set.get("deposito"))).toBe("secret_invalid");
  });
});

describe("PublicKeySet: versions only move forward", () => {
  it("a read answering an older latest version (a stale replica) is ignored and reported once", async () => {
    const { clock, keys, logger, set } = setup();
    const v1 = await keys.read("deposito");
    clock.advance(1000);
    keys.rotate("deposito");
    await set.get("deposito");
    keys.read = async () => v1;
    expect((await set.refresh("deposito")).latest).toBe(2);
    expect((await set.refresh("deposito")).latest).toBe(2);
    expect(set.stats.staleReads).toBe(2);
    expect(logger.entries.filter((e) => e.level === "error")).toHaveLength(1);
  });

  it("a key deleted and created anew (versions restart, created later) is taken", async () => {
    const { clock, keys, set } = setup();
    keys.rotate("deposito");
    await set.get("deposito");
    clock.advance(1000);
    keys.delete("deposito");
    keys.create("deposito");
    const loaded = await set.refresh("deposito");
    expect(loaded.latest).toBe(1);
  });
});

describe("PublicKeySet: change signals", () => {
  it("a reader's generation that moved makes the next access read", async () => {
    const { keys, set, reads } = setup();
    let generation = 1;
    const counted = Object.assign(keys, { generation: () => generation });
    const watched = new PublicKeySet({ reader: counted, clock: () => 0 });
    await watched.get("deposito");
    expect(watched.current("deposito")).toBeDefined();
    generation += 1;
    expect(watched.current("deposito")).toBeUndefined();
    await watched.get("deposito");
    expect(reads()).toBe(2);
    expect(set.current("deposito")).toBeUndefined(); // another set: its own cache
  });

  it("secretChanged re-reads a held issuer, ignores other names, and forgets an absence", async () => {
    const { keys, set, reads } = setup();
    await set.get("deposito");
    await set.secretChanged("gofr/config/jwt-signing-secret");
    await set.secretChanged("jwt-billing");
    expect(reads()).toBe(1);
    expect(keys.readCount("billing")).toBe(0);
    await set.secretChanged("jwt-deposito");
    expect(reads()).toBe(2);
    await codeOf(set.get("ghost"));
    expect(set.isKnownAbsent("ghost")).toBe(true);
    await set.secretChanged("jwt-ghost");
    expect(set.isKnownAbsent("ghost")).toBe(false);
  });

  it("refreshAll re-reads every held issuer", async () => {
    const { keys, set, reads } = setup();
    keys.create("billing");
    await set.get("deposito");
    await set.get("billing");
    await set.refreshAll();
    expect(reads()).toBe(2);
    expect(keys.readCount("billing")).toBe(2);
  });

  it("refuses a negative TTL or a refresh-ahead not below the TTL", () => {
    const reader = new MemoryEdDsaKeys();
    expect(() => new PublicKeySet({ reader, cacheTtlSeconds: -1 })).toThrow(/cacheTtlSeconds/);
    expect(
      () => new PublicKeySet({ reader, cacheTtlSeconds: 10, refreshAheadSeconds: 10 }),
    ).toThrow(/refreshAheadSeconds/);
  });
});
