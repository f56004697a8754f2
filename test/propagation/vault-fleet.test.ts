/**
 * Rotation and revocation reach another process through the change marker within one poll
 * interval, and only through it: both stacks cache keys and records for 300 s, so each
 * refusal below, coming 2 s after the change, is the poll's doing.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHANGE_WINDOW } from "../../src/propagation/marker.js";
import { ChangePoller } from "../../src/propagation/poller.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { ManualTimers, VaultDouble } from "../../src/testing/vault-double.js";
import { captureLogger, type LogEntry } from "../support/capture-logger.js";
import { randomSecret } from "../vault/helpers.js";
import { MARKER_PATH, outcome, requestsBy, SHARED_PATH, type Stack, vaultStack } from "./stacks.js";

let double: VaultDouble;
let clock: ManualClock;
let timers: ManualTimers;
const stacks: Stack[] = [];

beforeEach(async () => {
  double = new VaultDouble();
  await double.start();
  double.putSecret(SHARED_SECRET_NAME, { value: randomSecret() });
  clock = new ManualClock();
  timers = new ManualTimers(clock);
});

afterEach(async () => {
  for (const stack of stacks.splice(0)) {
    stack.poller.stop();
    await stack.client.close();
  }
  await double.close();
});

/** The operator's process (the CLI): it writes, and does not poll. */
function operator() {
  const stack = vaultStack(double, "operator", { clock, timers });
  stacks.push(stack);
  return stack;
}

/** A started stack: its first poll has recorded where the marker stands. */
async function started(name: string, options: { rotationGraceSeconds?: number } = {}) {
  const stack = vaultStack(double, name, { clock, timers, ...options });
  stacks.push(stack);
  await stack.poller.start();
  return stack;
}

/** Log entries an operator sees (WARNING and INFO), without the DEBUG ones. */
function notable(entries: LogEntry[]): LogEntry[] {
  return entries.filter((entry) => entry.level !== "debug");
}

async function mint(stack: Stack) {
  if (!(await stack.auth.groups.getByName("billing"))) await stack.auth.groups.create("billing");
  return stack.auth.createToken({ groups: ["billing"] });
}

describe("a rotation with grace 0", () => {
  it("is refused by the other process after its next poll, and not before", async () => {
    const writer = operator();
    const service = await started("service");
    const minted = await mint(writer);
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");

    await writer.source.write(SHARED_SECRET_NAME, randomSecret()); // `secrets rotate`
    await timers.advance(1_999);
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");
    expect(requestsBy(double, service, "GET", SHARED_PATH)).toBe(1);

    await timers.advance(1); // the poll
    expect(requestsBy(double, service, "GET", SHARED_PATH)).toBe(2);
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("token_invalid");
    expect(service.poller.stats).toMatchObject({ changesApplied: 1, resyncs: 0, outage: false });
    expect(service.poller.stats.lastChangeLagMs).toBe(2_000);
  });

  it("with a grace, the other process keeps accepting the old token after the poll", async () => {
    const writer = operator();
    const service = await started("service", { rotationGraceSeconds: 3600 });
    const minted = await mint(writer);
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");
    await writer.source.write(SHARED_SECRET_NAME, randomSecret());
    await timers.advance(2_000);
    expect(service.keyRing.shared.currentKey()?.version).toBe(2);
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");
  });

  it("a failed re-read keeps the old key, does not advance, and is retried next poll", async () => {
    const writer = operator();
    const logger = captureLogger();
    const service = vaultStack(double, "service", { clock, timers, logger });
    stacks.push(service);
    await service.poller.start();
    const minted = await mint(writer);
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");
    await writer.source.write(SHARED_SECRET_NAME, randomSecret());

    double.failNext(1, 503, { match: { method: "GET", path: SHARED_PATH } });
    await timers.advance(2_000);
    expect(service.poller.stats).toMatchObject({
      pollFailures: 1,
      outage: true,
      changesApplied: 0,
    });
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");

    await timers.advance(2_000);
    expect(service.poller.stats).toMatchObject({
      pollFailures: 1,
      outage: false,
      changesApplied: 1,
    });
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("token_invalid");
    expect(notable(logger.entries).map((entry) => entry.level)).toEqual(["warn", "info"]);
  });
});

describe("a revocation", () => {
  it("is refused by the other process after its next poll; other records stay cached", async () => {
    const writer = operator();
    const service = await started("service");
    const revoked = await mint(writer);
    const kept = await mint(writer);
    for (const { token } of [revoked, kept]) {
      expect(await outcome(service.auth.verifyToken(token))).toBe("accepted");
    }
    const readsBefore = service.store.stats.recordReads;

    await writer.auth.revokeToken(revoked.record.id); // `tokens revoke`
    await timers.advance(1_999);
    expect(await outcome(service.auth.verifyToken(revoked.token))).toBe("accepted");

    await timers.advance(1);
    expect(await outcome(service.auth.verifyToken(revoked.token))).toBe("token_revoked");
    expect(await outcome(service.auth.verifyToken(kept.token))).toBe("accepted");
    // Only the revoked record was read again.
    expect(service.store.stats.recordReads).toBe(readsBefore + 1);
    expect(requestsBy(double, service, "GET", SHARED_PATH)).toBe(1);
  });
});

describe("steady state", () => {
  it("costs exactly one marker read per interval, whatever the tokens and requests", async () => {
    const writer = operator();
    const service = await started("service");
    const tokens: string[] = [];
    for (let i = 0; i < 40; i += 1) tokens.push((await mint(writer)).token);
    for (const token of tokens) await service.auth.verifyToken(token); // warm
    double.clearRequests();
    const pollsBefore = service.poller.stats.polls;

    const intervals = 10;
    for (let round = 0; round < intervals; round += 1) {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          service.auth.verifyToken(tokens[i % tokens.length] as string),
        ),
      );
      await timers.advance(2_000);
    }
    const byService = double.requests.filter((entry) => entry.namespace === "service");
    expect(byService.map((entry) => `${entry.method} ${entry.path}`)).toEqual(
      Array(intervals).fill(`GET ${MARKER_PATH}`),
    );
    expect(service.poller.stats.polls - pollsBefore).toBe(intervals);
  });

  it("an interval must be above 0 (0 means: create no poller)", () => {
    const { marker } = operator();
    for (const intervalSeconds of [0, -1, Number.NaN]) {
      expect(() => new ChangePoller({ marker, intervalSeconds })).toThrow(
        /intervalSeconds must be > 0/,
      );
    }
  });

  it("never overlaps polls: a second pollNow joins the running one", async () => {
    const service = await started("service");
    const before = requestsBy(double, service, "GET", MARKER_PATH);
    const first = service.poller.pollNow();
    expect(service.poller.pollNow()).toBe(first);
    expect(timers.pending).toEqual([]); // the next is scheduled only once this one ends
    await first;
    expect(requestsBy(double, service, "GET", MARKER_PATH)).toBe(before + 1);
    expect(timers.pending).toEqual([2_000]);
  });
});

describe("missed or re-created markers", () => {
  it("entries missed (window passed) resync everything: a revocation among them is seen", async () => {
    const writer = operator();
    const service = await started("service");
    const revoked = await mint(writer);
    expect(await outcome(service.auth.verifyToken(revoked.token))).toBe("accepted");
    await writer.auth.revokeToken(revoked.record.id);
    // More changes than the window holds, before the service polls again.
    for (let i = 0; i < CHANGE_WINDOW; i += 1) {
      await writer.marker.appendChange({ kind: "token", token_id: `other-${i}` });
    }
    const secretReads = requestsBy(double, service, "GET", SHARED_PATH);
    await service.poller.pollNow();
    expect(service.poller.stats).toMatchObject({ resyncs: 1, changesApplied: 0 });
    expect(requestsBy(double, service, "GET", SHARED_PATH)).toBe(secretReads + 1);
    expect(await outcome(service.auth.verifyToken(revoked.token))).toBe("token_revoked");
  });

  it("a marker deleted and re-created (lower version) resyncs", async () => {
    const writer = operator();
    const minted = await mint(writer);
    for (let i = 0; i < 3; i += 1)
      await writer.marker.appendChange({ kind: "token", token_id: "x" });
    const service = await started("service");
    expect(service.poller.stats.markerVersion).toBe(3);
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");

    double.deleteSecret("gofr/auth/_changes");
    await writer.auth.revokeToken(minted.record.id); // the re-created marker's version 1
    await service.poller.pollNow();
    expect(service.poller.stats).toMatchObject({ resyncs: 1, markerVersion: 1 });
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("token_revoked");
  });

  it("a marker re-created past the version seen resyncs (the entry seen is not there)", async () => {
    const writer = operator();
    const minted = await mint(writer);
    await writer.marker.appendChange({ kind: "token", token_id: "x" });
    const service = await started("service");
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");

    double.deleteSecret("gofr/auth/_changes");
    await writer.marker.appendChange({ kind: "token", token_id: "y" });
    await writer.auth.revokeToken(minted.record.id); // version 2: seen was 1
    await service.poller.pollNow();
    expect(service.poller.stats).toMatchObject({ resyncs: 1, markerVersion: 2 });
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("token_revoked");
  });
});

describe("a marker this version cannot read", () => {
  it("data that is not a marker, or an entry of an unknown kind, resyncs", async () => {
    const service = await started("service");
    double.putSecret("gofr/auth/_changes", { written: "by hand" });
    await service.poller.pollNow();
    expect(service.poller.stats).toMatchObject({ resyncs: 1, markerVersion: 1 });
    await service.poller.pollNow(); // same version: nothing more
    expect(service.poller.stats.resyncs).toBe(1);
    const later = { id: "e-2", at: new Date(clock.now()).toISOString(), kind: "group" };
    double.putSecret("gofr/auth/_changes", { changes: [later] });
    await service.poller.pollNow();
    expect(service.poller.stats).toMatchObject({ resyncs: 2, markerVersion: 2, changesApplied: 0 });
  });
});

describe("a failing poll", () => {
  it("keeps the last good state, warns once per outage, says when it ends, refuses nothing", async () => {
    const writer = operator();
    const logger = captureLogger();
    const service = vaultStack(double, "service", { clock, timers, logger });
    stacks.push(service);
    await service.poller.start();
    const minted = await mint(writer);
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");

    await writer.auth.revokeToken(minted.record.id); // made during the outage
    double.failNext(3, 503, { match: { method: "GET", path: MARKER_PATH } });
    for (let i = 0; i < 3; i += 1) {
      await timers.advance(2_000);
      expect(await outcome(service.auth.verifyToken(minted.token))).toBe("accepted");
    }
    expect(service.poller.stats).toMatchObject({ polls: 4, pollFailures: 3, outage: true });
    expect(notable(logger.entries)).toMatchObject([
      { level: "warn", fields: { code: "vault_unreachable" } },
    ]);

    await timers.advance(2_000); // Vault answers again: the revocation is applied now
    expect(await outcome(service.auth.verifyToken(minted.token))).toBe("token_revoked");
    expect(service.poller.stats).toMatchObject({ outage: false, changesApplied: 1 });
    expect(service.poller.stats.lastPollOkAt).toBe(clock.now());
    expect(notable(logger.entries).slice(1)).toMatchObject([
      { level: "info", fields: { failed_polls: 3, outage_ms: 6_000 } },
    ]);
    expect(JSON.stringify(logger.entries)).not.toContain(double.rootToken);
  });

  it("a failed first poll is an outage, and the first good one resyncs", async () => {
    double.failNext(1, 503, { match: { method: "GET", path: MARKER_PATH } });
    const service = await started("service");
    expect(service.poller.stats).toMatchObject({ polls: 1, pollFailures: 1, outage: true });
    await service.keyRing.shared.getKey();
    await timers.advance(2_000);
    expect(service.poller.stats).toMatchObject({ resyncs: 1, outage: false });
    expect(requestsBy(double, service, "GET", SHARED_PATH)).toBe(2);
  });
});
