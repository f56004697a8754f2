/**
 * The change poller reaches EdDSA public keys too: a `secret` entry named `jwt-<issuer>`
 * (what an EdDSA key rotation or retirement appends on Vault) re-reads that issuer's keys,
 * and a resync re-reads every held issuer.
 */
import { describe, expect, it } from "vitest";
import { MemoryEdDsaKeys } from "../../src/eddsa/memory.js";
import { PublicKeySet } from "../../src/eddsa/public-key-set.js";
import { silentLogger } from "../../src/log.js";
import type { ChangeMarker, MarkerState } from "../../src/propagation/marker.js";
import { ChangePoller } from "../../src/propagation/poller.js";
import { ManualClock } from "../../src/testing/index.js";

/** A marker whose state the test sets (the poller only reads it). */
function fakeMarker() {
  const marker = {
    where: "test/_changes",
    stats: { appends: 0, writeFailures: 0 },
    state: { version: 0, entries: [] } as MarkerState,
    read: async () => marker.state,
  };
  return marker;
}

const entry = (id: string, name: string) => ({
  kind: "secret",
  name,
  id,
  at: "2026-01-15T10:30:00Z",
});

function setup() {
  const clock = new ManualClock();
  const keys = new MemoryEdDsaKeys({ clock: clock.now });
  keys.create("deposito");
  keys.create("billing");
  const publicKeys = new PublicKeySet({ reader: keys, clock: clock.now, logger: silentLogger });
  const marker = fakeMarker();
  const poller = new ChangePoller({
    marker: marker as unknown as ChangeMarker,
    publicKeys,
    clock: clock.now,
  });
  return { keys, publicKeys, marker, poller };
}

describe("ChangePoller and EdDSA public keys", () => {
  it("a secret entry naming jwt-deposito re-reads deposito's keys, and only those", async () => {
    const { keys, publicKeys, marker, poller } = setup();
    await poller.pollNow();
    await publicKeys.get("deposito");
    await publicKeys.get("billing");
    keys.rotate("deposito");
    marker.state = { version: 1, entries: [entry("e1", "jwt-deposito")] };
    await poller.pollNow();
    expect(publicKeys.current("deposito")?.latest).toBe(2);
    expect(keys.readCount("deposito")).toBe(2);
    expect(keys.readCount("billing")).toBe(1);
    poller.stop();
  });

  it("a resync (the marker went back) re-reads every held issuer", async () => {
    const { keys, publicKeys, marker, poller } = setup();
    marker.state = { version: 5, entries: [entry("e5", "gofr/config/jwt-signing-secret")] };
    await poller.pollNow();
    await publicKeys.get("deposito");
    await publicKeys.get("billing");
    marker.state = { version: 1, entries: [entry("x1", "jwt-deposito")] };
    await poller.pollNow();
    expect(keys.readCount("deposito")).toBe(2);
    expect(keys.readCount("billing")).toBe(2);
    expect(poller.stats.resyncs).toBe(1);
    poller.stop();
  });
});
