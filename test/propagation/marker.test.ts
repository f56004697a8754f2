/**
 * The writer side of the change marker on the Vault double: check-and-set appends that
 * never lose an entry (KV v2 `cas`, docs/vault-contract.md rows 5-6), a bounded window,
 * one entry per change even when an answer is lost and the client resends, and a failed
 * signal that never undoes the change it reports.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { CHANGE_WINDOW, ChangeMarker, entryId } from "../../src/propagation/marker.js";
import { VaultAuthStore } from "../../src/store/vault.js";
import { ManualClock } from "../../src/testing/clock.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { makeToken } from "../sqlite/helpers.js";
import { captureLogger } from "../support/capture-logger.js";
import { MARKER_PATH } from "./stacks.js";

let double: VaultDouble;
const clients: VaultClient[] = [];

beforeEach(async () => {
  double = new VaultDouble();
  await double.start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await double.close();
});

function writer(options: { maxRetries?: number; logger?: ReturnType<typeof captureLogger> } = {}) {
  const client = new VaultClient({
    address: double.url,
    auth: { method: "token", token: double.rootToken },
    maxRetries: options.maxRetries ?? 0,
    retryBaseDelayMs: 0,
    logger: silentLogger,
  });
  clients.push(client);
  const clock = new ManualClock();
  const marker = new ChangeMarker({
    kv: client.kv(),
    pathPrefix: "gofr/auth",
    clock: clock.now,
    logger: options.logger ?? silentLogger,
  });
  return { client, marker, clock };
}

function storedChanges(): Array<Record<string, unknown>> {
  return (double.readSecret("gofr/auth/_changes")?.changes ?? []) as Array<Record<string, unknown>>;
}

describe("ChangeMarker.appendChange", () => {
  it("creates the marker with cas 0, then appends with the version read", async () => {
    const { marker, clock } = writer();
    expect(await marker.read()).toEqual({ version: 0, entries: [] });
    const first = await marker.appendChange({ kind: "secret", name: "gofr/config/x", version: 2 });
    clock.advance(1_000);
    const second = await marker.appendChange({ kind: "token", token_id: "t-1" });
    expect(first.at).toBe(new Date(clock.now() - 1_000).toISOString());
    const state = await marker.read();
    expect(state.version).toBe(2);
    expect(state.entries).toEqual([first, second]);
    const bodies = double.requests.filter((entry) => entry.method === "POST");
    expect(bodies).toHaveLength(2);
  });

  it("keeps the newest CHANGE_WINDOW entries", async () => {
    const { marker } = writer();
    const ids: unknown[] = [];
    for (let i = 0; i < CHANGE_WINDOW + 6; i += 1) {
      ids.push((await marker.appendChange({ kind: "token", token_id: `t-${i}` })).id);
    }
    const state = await marker.read();
    expect(state.version).toBe(CHANGE_WINDOW + 6);
    expect(state.entries?.map(entryId)).toEqual(ids.slice(-CHANGE_WINDOW));
  });

  it("resent after a lost answer, the change is recorded once", async () => {
    const { marker } = writer({ maxRetries: 1 });
    await marker.appendChange({ kind: "token", token_id: "before" });
    double.loseAnswerNext(1, { method: "POST", path: MARKER_PATH });
    const entry = await marker.appendChange({ kind: "token", token_id: "lost-answer" });
    // The first POST landed, its answer was lost, the client resent it (cas mismatch).
    expect(double.countRequests({ method: "POST", path: MARKER_PATH })).toBe(3);
    const stored = storedChanges();
    expect(stored.map((change) => change.token_id)).toEqual(["before", "lost-answer"]);
    expect(stored[1]?.id).toBe(entry.id);
    expect((await marker.read()).version).toBe(2);
  });

  it("concurrent writers all land: check-and-set loses no entry", async () => {
    const writers = Array.from({ length: 4 }, () => writer().marker);
    const appended = await Promise.all(
      writers.flatMap((marker, w) =>
        Array.from({ length: 5 }, (_, i) =>
          marker.appendChange({ kind: "token", token_id: `w${w}-${i}` }),
        ),
      ),
    );
    const state = await marker0(writers).read();
    expect(state.version).toBe(20);
    expect(new Set(state.entries?.map(entryId))).toEqual(new Set(appended.map((e) => e.id)));
    // Some writes met another writer's version first and were retried.
    expect(
      double.countRequests({ method: "POST", path: MARKER_PATH, status: 400 }),
    ).toBeGreaterThan(0);
  });

  it("keeps entries of a shape it does not know, and writes over a marker that is not one", async () => {
    double.putSecret("gofr/auth/_changes", { changes: [{ id: "future", kind: "group" }] });
    const { marker } = writer();
    await marker.appendChange({ kind: "token", token_id: "t" });
    expect(storedChanges().map((change) => change.id)).toEqual(["future", expect.any(String)]);
    double.putSecret("gofr/auth/_changes", { something: "else" });
    await marker.appendChange({ kind: "token", token_id: "u" });
    expect(storedChanges().map((change) => change.token_id)).toEqual(["u"]);
  });
});

describe("ChangeMarker.signal after a committed change", () => {
  it("never throws: a failure is counted and logged with the bound that then applies", async () => {
    const logger = captureLogger();
    const { marker } = writer({ logger });
    double.failNext(1, 500, { match: { method: "GET", path: MARKER_PATH } });
    expect(await marker.signal({ kind: "token", token_id: "t-9" })).toBe(false);
    expect(marker.stats).toEqual({ appends: 0, writeFailures: 1 });
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]).toMatchObject({
      level: "warn",
      fields: { marker: "secret/gofr/auth/_changes", token_id: "t-9" },
    });
    expect(String(logger.entries[0]?.fields.hint)).toMatch(/cache TTL/);
    expect(await marker.signal({ kind: "token", token_id: "t-9" })).toBe(true);
  });

  it("a revocation whose signal fails is still done", async () => {
    const { client } = writer();
    const logger = captureLogger();
    const store = new VaultAuthStore({ client, logger });
    const record = makeToken();
    await store.insertToken(record);
    double.failNext(1, 403, { match: { path: MARKER_PATH } });
    await store.updateToken({ ...record, status: "revoked", revokedAt: new Date() });
    expect((await store.getToken(record.id))?.status).toBe("revoked");
    expect(double.readSecret(`gofr/auth/tokens/${record.id}`)?.status).toBe("revoked");
    expect(logger.entries.filter((entry) => entry.level === "warn")).toHaveLength(1);
  });

  it("updateToken appends one token entry; changes: false appends none", async () => {
    const { client } = writer();
    const store = new VaultAuthStore({ client });
    const silent = new VaultAuthStore({ client, changes: false });
    const record = makeToken();
    await store.insertToken(record);
    await silent.updateToken({ ...record, status: "revoked", revokedAt: new Date() });
    expect(double.readSecret("gofr/auth/_changes")).toBeUndefined();
    await store.updateToken({ ...record, status: "revoked", revokedAt: new Date() });
    expect(storedChanges()).toMatchObject([{ kind: "token", token_id: record.id }]);
  });
});

function marker0(markers: ChangeMarker[]): ChangeMarker {
  return markers[0] as ChangeMarker;
}
