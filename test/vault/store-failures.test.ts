/**
 * VaultAuthStore when Vault fails part-way through an insert. A name is claimed in the
 * index before its record is written: when the record write fails, the claim must be undone
 * (else the name is blocked for ever by a record that does not exist), and when the index
 * keeps changing under us the insert must give up after `casAttempts` instead of looping.
 * Only the store's public behaviour is asserted (the outcome and what Vault holds).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { VaultDouble } from "../../src/testing/vault-double.js";
import { captureLogger } from "../support/capture-logger.js";
import { rejection } from "./helpers.js";
import { group, storeFixture, token } from "./store-fixtures.js";
import { describeDoubleOnly, startTarget, type VaultTarget } from "./target.js";

/** Vault's answer to a lost check-and-set race (kv `path_data.go`; docs/vault-contract.md row 6). */
const CAS_MISMATCH = { errors: ["check-and-set parameter did not match the current version"] };

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix } = storeFixture(() => target);
/** One attempt per request, so one injected failure is one failed call. */
const NO_RETRIES = { maxRetries: 0 };

const vault = () => target.double as VaultDouble;
const writes = (path: string) => ({ method: "POST", path: `/v1/secret/data/${path}` });

/** A KV path's data, or undefined when nothing is there. */
async function stored(path: string): Promise<Record<string, unknown> | undefined> {
  return (await target.client().kv().readOptional(path))?.data;
}

describeDoubleOnly("VaultAuthStore: a record write that fails", "injects faults", () => {
  it("a token name claimed for a record Vault did not store is released for the next insert", async () => {
    const prefix = freshPrefix("token-write");
    const store = makeStore(prefix, {}, NO_RETRIES);
    const first = token({ name: "billing-api" });
    vault().failNext(1, 503, { match: writes(`${prefix}/tokens/${first.id}`) });

    const error = await rejection(store.insertToken(first));
    expect(error.code).toBe("vault_unreachable"); // the write's own failure, not the undo's
    expect(await stored(`${prefix}/tokens/${first.id}`)).toBeUndefined();
    expect((await stored(`${prefix}/tokens/_index/names`))?.["billing-api"]).toBeUndefined();
    expect(await store.findTokenByName("billing-api")).toBeUndefined();

    const second = token({ name: "billing-api" });
    await store.insertToken(second);
    expect((await store.findTokenByName("billing-api"))?.id).toBe(second.id);
    expect(await stored(`${prefix}/tokens/_index/names`)).toEqual({ "billing-api": second.id });
  });

  it("a group name claimed for a group Vault did not store is released for the next insert", async () => {
    const prefix = freshPrefix("group-write");
    const store = makeStore(prefix, {}, NO_RETRIES);
    const first = group("billing");
    vault().failNext(1, 503, { match: writes(`${prefix}/groups/${first.id}`) });

    expect((await rejection(store.insertGroup(first))).code).toBe("vault_unreachable");
    expect(await store.findGroupByName("billing")).toBeUndefined();

    const second = group("billing");
    await store.insertGroup(second);
    expect(await store.findGroupByName("billing")).toEqual(second);
    expect(await stored(`${prefix}/groups/_index/names`)).toEqual({ billing: second.id });
  });

  it("other names in the index survive the undo", async () => {
    const prefix = freshPrefix("keep-others");
    const store = makeStore(prefix, {}, NO_RETRIES);
    const kept = token({ name: "kept-one" });
    await store.insertToken(kept);
    const failed = token({ name: "failed-one" });
    vault().failNext(1, 503, { match: writes(`${prefix}/tokens/${failed.id}`) });
    await rejection(store.insertToken(failed));
    expect(await stored(`${prefix}/tokens/_index/names`)).toEqual({ "kept-one": kept.id });
    expect((await store.findTokenByName("kept-one"))?.id).toBe(kept.id);
  });

  it("when the undo fails too, the insert still reports the write's error and warns", async () => {
    const prefix = freshPrefix("undo-fails");
    const logger = captureLogger();
    const store = makeStore(prefix, { logger }, NO_RETRIES);
    const record = token({ name: "stuck-name" });
    const index = `${prefix}/tokens/_index/names`;
    // An earlier attempt of this very insert had claimed the name and then crashed: the
    // claim is ours already, so the index is written next only by the undo.
    await target.client().kv().write(index, { "stuck-name": record.id });
    vault().failNext(1, 503, { match: writes(`${prefix}/tokens/${record.id}`) });
    vault().failNext(1, 503, { match: writes(index) });

    const error = await rejection(store.insertToken(record));
    expect(error.code).toBe("vault_unreachable");
    expect(error.message).toContain(`/tokens/${record.id}`); // the write's error, not the undo's
    expect(vault().pendingFaults).toBe(0); // the undo was tried
    const warning = logger.entries.find((entry) => entry.level === "warn");
    expect(warning?.fields).toMatchObject({ name: "stuck-name", record_id: record.id });
  });
});

describeDoubleOnly("VaultAuthStore: an index that keeps changing", "injects faults", () => {
  it("a lost check-and-set race is retried and the insert succeeds", async () => {
    const prefix = freshPrefix("one-race");
    const store = makeStore(prefix);
    const index = `${prefix}/tokens/_index/names`;
    await store.insertToken(token({ name: "first-one" })); // the index exists now
    vault().clearRequests();
    vault().failNext(1, 400, { body: CAS_MISMATCH, match: writes(index) });

    const record = token({ name: "second-one" });
    await store.insertToken(record);
    expect(vault().countRequests(writes(index))).toBe(2);
    expect((await stored(index))?.["second-one"]).toBe(record.id);
  });

  for (const kind of ["token", "group"] as const) {
    it(`a ${kind} insert gives up after casAttempts lost races, writing nothing`, async () => {
      const prefix = freshPrefix(`${kind}-cas`);
      const store = makeStore(prefix, { casAttempts: 3 });
      const index = `${prefix}/${kind}s/_index/names`;
      const record = kind === "token" ? token({ name: "contended" }) : group("contended");
      const insert = () =>
        kind === "token"
          ? store.insertToken(record as ReturnType<typeof token>)
          : store.insertGroup(record as ReturnType<typeof group>);
      vault().clearRequests();
      vault().failNext(3, 400, { body: CAS_MISMATCH, match: writes(index) });

      const error = await rejection(insert());
      expect(error.code).toBe("store_unavailable");
      expect(error.hint).toMatch(/retry/);
      expect(vault().countRequests(writes(index))).toBe(3); // bounded: no fourth try
      expect(await stored(`${prefix}/${kind}s/${record.id}`)).toBeUndefined();
      expect(await stored(index)).toBeUndefined();

      // Once the contention is over, the same insert goes through.
      await insert();
      expect(await stored(index)).toEqual({ contended: record.id });
    });
  }
});
