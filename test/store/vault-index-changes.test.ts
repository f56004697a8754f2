/**
 * The name index changes that must leave another writer's entry alone. Each change
 * re-reads the index just before writing it, so the index it acts on may no longer be the
 * one its caller saw: between a failed record write and the release of its claim, or
 * between a lookup that found a group's entry missing and putting it back, another writer
 * may have given the name to another record, or deleted the index. These tests give the
 * `NameIndexes` of the Vault store (over the KV engine, through HTTP) that later index.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { NameIndexes } from "../../src/store/vault-index.js";
import { captureLogger } from "../support/capture-logger.js";
import { describeContract, startTarget, type VaultTarget } from "../vault/target.js";

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

let n = 0;
const kv = () => target.client().kv();
/** A fresh index path under the target's test prefix. */
const freshIndex = (label: string) => `${target.prefix}/${label}-${++n}/groups/_index/names`;

function indexes(logger = captureLogger()) {
  return new NameIndexes({
    kv: kv(),
    casAttempts: 3,
    logger,
    where: (path) => `vault secret/${path}`,
  });
}

/** The index data and version now, read with the root token. */
async function now(path: string) {
  const secret = await kv().readOptional(path);
  return { data: secret?.data, version: secret?.version };
}

describeContract("Vault name index changes: another writer's entries are kept", () => {
  it("release leaves a name that now maps to another record, and writes nothing", async () => {
    const path = freshIndex("release");
    const [ours, theirs] = [randomUUID(), randomUUID()];
    await kv().write(path, { billing: theirs, public: randomUUID() });
    const before = await now(path);
    await indexes().release(path, "billing", ours);
    expect(await now(path)).toEqual(before);
  });

  it("release removes the name while it still maps to the record", async () => {
    const path = freshIndex("release-own");
    const [ours, other] = [randomUUID(), randomUUID()];
    await kv().write(path, { billing: ours, public: other });
    await indexes().release(path, "billing", ours);
    expect((await now(path)).data).toEqual({ public: other });
  });

  it("adopt keeps a name another writer gave to another record, and says it wrote nothing", async () => {
    const path = freshIndex("adopt-held");
    const [ours, theirs] = [randomUUID(), randomUUID()];
    await kv().write(path, { billing: theirs });
    const before = await now(path);
    expect(await indexes().adopt(path, "billing", ours)).toBe(false);
    expect(await now(path)).toEqual(before);
  });

  it("adopt creates no index where there is none (the next create builds it from the records)", async () => {
    const path = freshIndex("adopt-none");
    expect(await indexes().adopt(path, "billing", randomUUID())).toBe(false);
    expect(await kv().readMetadata(path)).toBeUndefined();
  });

  it("adopt adds the missing name to an existing index, and says so", async () => {
    const path = freshIndex("adopt-missing");
    const [ours, other] = [randomUUID(), randomUUID()];
    await kv().write(path, { public: other });
    expect(await indexes().adopt(path, "billing", ours)).toBe(true);
    expect((await now(path)).data).toEqual({ public: other, billing: ours });
  });

  it("putBack of a name another writer has put back meanwhile logs no repair", async () => {
    const path = freshIndex("put-back-held");
    const theirs = randomUUID();
    await kv().write(path, { billing: theirs });
    const logger = captureLogger();
    await indexes(logger).putBack(path, "billing", randomUUID());
    expect(logger.entries).toEqual([]);
    expect((await now(path)).data).toEqual({ billing: theirs });
  });
});
