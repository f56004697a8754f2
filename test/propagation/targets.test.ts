/**
 * What the poller's entries do in a process: a `secret` entry re-reads only that secret's
 * provider (the old key serves meanwhile; a deleted secret stops verifying), a `token` entry
 * forgets only that record, even while a read of it that started earlier is still running.
 */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import {
  issuerSecretName,
  type SecretSource,
  SHARED_SECRET_NAME,
} from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { RecordCache } from "../../src/vault/record-cache.js";
import { randomSecret } from "../vault/helpers.js";

const BILLING = issuerSecretName("billing");

/** A memory source whose secrets can be deleted (reads then answer `secret_unavailable`). */
function deletableSource() {
  const memory = new MemorySecretSource({
    secrets: { [SHARED_SECRET_NAME]: randomSecret(), [BILLING]: randomSecret() },
  });
  const deleted = new Set<string>();
  const source: SecretSource = {
    description: "memory",
    allowsWeakSecrets: true,
    read: (name, version) =>
      deleted.has(name)
        ? Promise.reject(new AuthError("secret_unavailable", `No signing secret '${name}'`))
        : memory.read(name, version),
  };
  return { memory, deleted, source };
}

function ring(source: SecretSource) {
  const clock = new ManualClock();
  return new KeyRing({ source, cacheTtlSeconds: 300, clock: clock.now, logger: silentLogger });
}

describe("KeyRing.secretChanged", () => {
  it("re-reads only the named secret, while the old key keeps serving", async () => {
    const { memory, source } = deletableSource();
    const keyRing = ring(source);
    const shared = await keyRing.shared.getKey();
    const billing = await keyRing.ownKey("billing");
    memory.set(SHARED_SECRET_NAME, randomSecret());

    const changed = keyRing.secretChanged(SHARED_SECRET_NAME);
    expect(keyRing.shared.currentKey()).toBe(shared); // during the read
    await changed;
    expect(keyRing.shared.currentKey()?.version).toBe(2);
    expect(memory.readCount(SHARED_SECRET_NAME)).toBe(2);
    expect(memory.readCount(BILLING)).toBe(1);
    expect(keyRing.providerForLabel("billing")?.currentKey()).toBe(billing);
  });

  it("reads nothing for a secret it does not hold", async () => {
    const { memory, source } = deletableSource();
    const keyRing = ring(source);
    await keyRing.secretChanged(SHARED_SECRET_NAME); // never loaded: the first use reads
    await keyRing.secretChanged(issuerSecretName("unknown"));
    await keyRing.secretChanged("some/other/secret");
    expect(memory.reads.size).toBe(0);
  });

  it("an issuer remembered as having no secret is looked up again on its next use", async () => {
    const { memory, source } = deletableSource();
    const keyRing = ring(source);
    expect(await keyRing.ownKey("newcomer")).toBeUndefined();
    expect(keyRing.isKnownAbsent("newcomer")).toBe(true);
    memory.set(issuerSecretName("newcomer"), randomSecret());
    await keyRing.secretChanged(issuerSecretName("newcomer"));
    expect((await keyRing.ownKey("newcomer"))?.version).toBe(1);
  });

  it("a deleted issuer secret is forgotten; a deleted shared secret fails closed", async () => {
    const { deleted, source } = deletableSource();
    const keyRing = ring(source);
    await keyRing.shared.getKey();
    await keyRing.ownKey("billing");
    deleted.add(BILLING);
    deleted.add(SHARED_SECRET_NAME);
    await keyRing.secretChanged(BILLING);
    expect(keyRing.providerForLabel("billing")).toBeUndefined();
    expect(keyRing.isKnownAbsent("billing")).toBe(true);
    await keyRing.secretChanged(SHARED_SECRET_NAME);
    expect(keyRing.shared.currentKey()).toBeUndefined();
    await expect(keyRing.shared.getKey()).rejects.toMatchObject({ code: "secret_unavailable" });
  });

  it("a store failure rejects (the poll is retried) and keeps the key", async () => {
    const { memory } = deletableSource();
    const failing: SecretSource = {
      description: "flaky",
      allowsWeakSecrets: true,
      read: async (name, version) => {
        if (memory.readCount(name) >= 1) throw new AuthError("store_unavailable", "down");
        return memory.read(name, version);
      },
    };
    const keyRing = ring(failing);
    const key = await keyRing.shared.getKey();
    await expect(keyRing.secretChanged(SHARED_SECRET_NAME)).rejects.toMatchObject({
      code: "store_unavailable",
    });
    expect(keyRing.shared.currentKey()).toBe(key);
  });

  it("refreshAll re-reads every held key once", async () => {
    const { memory, source } = deletableSource();
    const keyRing = ring(source);
    await keyRing.shared.getKey();
    await keyRing.ownKey("billing");
    await keyRing.refreshAll();
    expect(memory.readCount(SHARED_SECRET_NAME)).toBe(2);
    expect(memory.readCount(BILLING)).toBe(2);
    expect(keyRing.heldProviders().map((provider) => provider.name)).toEqual([
      SHARED_SECRET_NAME,
      BILLING,
    ]);
  });
});

describe("RecordCache.delete (a token entry)", () => {
  it("a read that started before the forget does not put the old record back", async () => {
    const clock = new ManualClock();
    const cache = new RecordCache<string>({
      ttlMs: 300_000,
      negativeTtlMs: 5_000,
      maxEntries: 10,
      clock: clock.now,
    });
    let release!: (value: string) => void;
    const stale = cache.get("t", () => new Promise<string>((resolve) => (release = resolve)));
    cache.delete("t"); // the marker says t changed while its read was on the way
    release("active"); // the earlier read answers with the record from before
    expect(await stale).toBe("active"); // its own caller asked before the change
    expect(await cache.get("t", async () => "revoked")).toBe("revoked");
    expect(await cache.get("t", async () => "not read")).toBe("revoked");
  });

  it("clear detaches every running read the same way", async () => {
    const clock = new ManualClock();
    const cache = new RecordCache<string>({
      ttlMs: 300_000,
      negativeTtlMs: 5_000,
      maxEntries: 10,
      clock: clock.now,
    });
    let release!: (value: string) => void;
    const stale = cache.get("t", () => new Promise<string>((resolve) => (release = resolve)));
    cache.clear();
    release("active");
    await stale;
    expect(await cache.get("t", async () => "reloaded")).toBe("reloaded");
  });
});
