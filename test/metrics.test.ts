/**
 * The library's metrics (src/metrics.ts): each family reflects real activity of the object
 * it reads (a provider over a memory source, a SQLite store over a real file, an adapter
 * on 127.0.0.1), reading them never touches a store, and docs/metrics.md documents them.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { requireAuth } from "../src/adapters/node.js";
import { AuthService } from "../src/auth-service.js";
import { silentLogger } from "../src/log.js";
import {
  AUTH_METRICS,
  type AuthMetric,
  type AuthMetricSources,
  authMetricSamples,
  VerifyOutcomes,
} from "../src/metrics.js";
import type { PropagationStats } from "../src/propagation/stats.js";
import { KeyRing } from "../src/secrets/keyring.js";
import { MemorySecretSource } from "../src/secrets/memory.js";
import { JwtSecretProvider } from "../src/secrets/provider.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../src/secrets/source.js";
import { SqliteSecretSource } from "../src/secrets/sqlite.js";
import { openAuthDatabase } from "../src/sqlite/database.js";
import { SqliteAuthStore } from "../src/store/sqlite.js";
import { createTestAuthService, ManualClock } from "../src/testing/index.js";
import { randomSecret, useTempDirs } from "./sqlite/helpers.js";

const temp = useTempDirs();
const SECOND_SECRET = "second-secret-value-that-is-long-enough-for-hs256";

/** The sample of `name` with exactly `labels`, or undefined when there is none. */
function value(
  metrics: readonly AuthMetric[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = metrics.find((metric) => metric.name === name);
  const sample = family?.samples.find(
    (s) =>
      JSON.stringify(Object.entries(s.labels).sort()) ===
      JSON.stringify(Object.entries(labels).sort()),
  );
  return sample?.value;
}

const names = (metrics: readonly AuthMetric[]) => metrics.map((metric) => metric.name);

describe("secret provider metrics", () => {
  it("count the shared provider's reads and rotations under its secret name", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: randomSecret() } });
    const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
    const secret = { secret: SHARED_SECRET_NAME };

    await keyRing.shared.getKey();
    let metrics = authMetricSamples({ keyRing });
    expect(value(metrics, "gofr_auth_secret_reads_total", secret)).toBe(1);
    expect(value(metrics, "gofr_auth_secret_rotations_total", secret)).toBe(0);

    source.set(SHARED_SECRET_NAME, SECOND_SECRET);
    clock.advanceSeconds(301); // past the 300 s cache: the next access reads the store
    await keyRing.shared.getKey();
    metrics = authMetricSamples({ keyRing });
    expect(value(metrics, "gofr_auth_secret_reads_total", secret)).toBe(2);
    expect(value(metrics, "gofr_auth_secret_rotations_total", secret)).toBe(1);
    expect(value(metrics, "gofr_auth_secret_read_failures_total", secret)).toBe(0);
    expect(value(metrics, "gofr_auth_secret_stale_reads_total", secret)).toBe(0);
    expect(value(metrics, "gofr_auth_secret_reads_total", secret)).toBe(keyRing.shared.stats.reads);
  });

  it("include issuers' own providers the ring holds, and none for an issuer without a secret", async () => {
    const source = new MemorySecretSource({
      secrets: {
        [SHARED_SECRET_NAME]: randomSecret(),
        [issuerSecretName("billing")]: randomSecret(),
      },
    });
    const keyRing = new KeyRing({ source, logger: silentLogger });
    expect(await keyRing.ownKey("billing")).toBeDefined();
    expect(await keyRing.ownKey("made-up-issuer")).toBeUndefined();

    const metrics = authMetricSamples({ keyRing });
    const family = metrics.find((metric) => metric.name === "gofr_auth_secret_reads_total");
    expect(family?.samples).toEqual([
      { labels: { secret: SHARED_SECRET_NAME }, value: 0 },
      { labels: { secret: issuerSecretName("billing") }, value: 1 },
    ]);
  });

  it("count a failed read as a read and a failure", async () => {
    const source = new MemorySecretSource(); // no secret at all: the read fails
    const provider = new JwtSecretProvider({ source, logger: silentLogger });
    await expect(provider.getKey()).rejects.toMatchObject({ code: "secret_unavailable" });
    const metrics = authMetricSamples({ providers: [provider] });
    expect(value(metrics, "gofr_auth_secret_reads_total", { secret: provider.name })).toBe(1);
    expect(value(metrics, "gofr_auth_secret_read_failures_total", { secret: provider.name })).toBe(
      1,
    );
  });

  it("publish a provider given twice once, and add up two providers of one secret", async () => {
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: randomSecret() } });
    const keyRing = new KeyRing({ source, logger: silentLogger });
    const other = new JwtSecretProvider({ source, logger: silentLogger });
    await keyRing.shared.getKey();
    await other.getKey();

    const once = authMetricSamples({ keyRing, providers: [keyRing.shared] });
    expect(value(once, "gofr_auth_secret_reads_total", { secret: SHARED_SECRET_NAME })).toBe(1);

    const both = authMetricSamples({ keyRing, providers: [other] });
    const family = both.find((metric) => metric.name === "gofr_auth_secret_reads_total");
    expect(family?.samples).toEqual([{ labels: { secret: SHARED_SECRET_NAME }, value: 2 }]);
  });

  it("are read without any store read, even when the cached key is due for a refresh", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: randomSecret() } });
    const provider = new JwtSecretProvider({
      source,
      cacheTtlSeconds: 100,
      refreshAheadSeconds: 10,
      clock: clock.now,
      logger: silentLogger,
    });
    await provider.getKey();
    clock.advanceSeconds(95); // inside the refresh-ahead window
    const reads = source.reads.get(SHARED_SECRET_NAME);

    for (let i = 0; i < 3; i++) authMetricSamples({ providers: [provider] });
    expect(source.reads.get(SHARED_SECRET_NAME)).toBe(reads);

    // The window was real: a request-path access does start the background read.
    provider.currentKey();
    expect(source.reads.get(SHARED_SECRET_NAME)).toBe((reads ?? 0) + 1);
  });
});

describe("SQLite store metrics", () => {
  function openService(path: string) {
    const database = openAuthDatabase({ path });
    const store = new SqliteAuthStore({ database });
    const source = new SqliteSecretSource({ database });
    const secretProvider = new JwtSecretProvider({ source, logger: silentLogger });
    const auth = new AuthService({ store, secretProvider, logger: silentLogger });
    temp.onCleanup(async () => {
      await store.close();
      await source.close();
    });
    return { auth, store, source };
  }

  it("tell record reads from cache hits, and count data_version checks", async () => {
    const path = join(temp.dir(), "auth.db");
    const cli = openService(path);
    await cli.source.writeIfAbsent(SHARED_SECRET_NAME, randomSecret());
    const { token, record } = await cli.auth.createToken({ groups: ["public"] });
    const other = await cli.auth.createToken({ groups: ["public"] });

    const service = openService(path);
    for (let i = 0; i < 3; i++) await service.auth.verifyToken(token);
    let metrics = authMetricSamples({ store: service.store });
    expect(value(metrics, "gofr_auth_token_record_reads_total")).toBe(1);
    expect(value(metrics, "gofr_auth_token_record_cache_hits_total")).toBe(2);
    expect(value(metrics, "gofr_auth_store_data_version_checks_total")).toBe(3);

    // A commit by another handle (the CLI revoking another token): the next lookup reads.
    await cli.auth.revokeToken(other.record.id);
    expect((await service.auth.verifyToken(token)).tokenId).toBe(record.id);
    metrics = authMetricSamples({ store: service.store });
    expect(value(metrics, "gofr_auth_token_record_reads_total")).toBe(2);
    expect(value(metrics, "gofr_auth_token_record_cache_hits_total")).toBe(2);
    expect(value(metrics, "gofr_auth_store_data_version_checks_total")).toBe(4);
  });

  it("count every lookup as a read when the record cache is off", async () => {
    const path = join(temp.dir(), "auth.db");
    const writer = openService(path);
    await writer.source.writeIfAbsent(SHARED_SECRET_NAME, randomSecret());
    const { record } = await writer.auth.createToken({ groups: ["public"] });
    const store = new SqliteAuthStore({ path, tokenCacheSize: 0 });
    temp.onCleanup(() => store.close());
    await store.getToken(record.id);
    await store.getToken(record.id);
    expect(store.stats).toEqual({ recordReads: 2, recordCacheHits: 0, dataVersionChecks: 0 });
  });

  it("are absent for a store that keeps no stats", () => {
    const test = createTestAuthService();
    expect(authMetricSamples({ store: test.store })).toEqual([]);
  });
});

describe("propagation metrics", () => {
  const stats = (overrides: Partial<PropagationStats> = {}): PropagationStats => ({
    polls: 0,
    pollFailures: 0,
    changesApplied: 0,
    resyncs: 0,
    markerVersion: 0,
    lastChangeLagMs: undefined,
    lastPollOkAt: undefined,
    outage: false,
    markerWriteFailures: 0,
    ...overrides,
  });

  it("publish counters, the marker version, lag and poll age in seconds, outage as 0/1", () => {
    const clock = new ManualClock();
    const poller = {
      stats: stats({
        polls: 40,
        pollFailures: 3,
        changesApplied: 5,
        resyncs: 1,
        markerVersion: 17,
        lastChangeLagMs: 1250,
        lastPollOkAt: clock.now() - 2500,
        outage: true,
        markerWriteFailures: 2,
      }),
    };
    const metrics = authMetricSamples({ propagation: poller, clock: clock.now });
    expect(value(metrics, "gofr_auth_propagation_polls_total")).toBe(40);
    expect(value(metrics, "gofr_auth_propagation_poll_failures_total")).toBe(3);
    expect(value(metrics, "gofr_auth_propagation_changes_applied_total")).toBe(5);
    expect(value(metrics, "gofr_auth_propagation_resyncs_total")).toBe(1);
    expect(value(metrics, "gofr_auth_propagation_marker_write_failures_total")).toBe(2);
    expect(value(metrics, "gofr_auth_propagation_marker_version")).toBe(17);
    expect(value(metrics, "gofr_auth_propagation_last_change_lag_seconds")).toBe(1.25);
    expect(value(metrics, "gofr_auth_propagation_last_poll_age_seconds")).toBe(2.5);
    expect(value(metrics, "gofr_auth_propagation_last_poll_success_timestamp_seconds")).toBe(
      (clock.now() - 2500) / 1000,
    );
    expect(value(metrics, "gofr_auth_propagation_outage")).toBe(1);

    // Read at call time: the same holder, later, says what it says then.
    poller.stats.outage = false;
    poller.stats.lastPollOkAt = clock.now();
    clock.advanceSeconds(1);
    const later = authMetricSamples({ propagation: poller, clock: clock.now });
    expect(value(later, "gofr_auth_propagation_outage")).toBe(0);
    expect(value(later, "gofr_auth_propagation_last_poll_age_seconds")).toBe(1);
  });

  it("have no lag or age sample before anything was applied or polled", () => {
    const metrics = authMetricSamples({ propagation: { stats: stats() } });
    const family = (name: string) => metrics.find((metric) => metric.name === name);
    expect(family("gofr_auth_propagation_last_change_lag_seconds")?.samples).toEqual([]);
    expect(family("gofr_auth_propagation_last_poll_age_seconds")?.samples).toEqual([]);
    expect(family("gofr_auth_propagation_last_poll_success_timestamp_seconds")?.samples).toEqual(
      [],
    );
    expect(value(metrics, "gofr_auth_propagation_polls_total")).toBe(0);
  });
});

describe("verify outcomes by code", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it("count what a real adapter reports through its audit hook", async () => {
    const test = createTestAuthService();
    const outcomes = new VerifyOutcomes();
    const guard = requireAuth(
      { auth: test.auth, groups: ["admin"], audit: outcomes.audit },
      (_req, res) => res.end("ok"),
    );
    server = createServer((req, res) => void guard(req, res));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const call = (token?: string) =>
      fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then(
        (response) => response.status,
      );

    const admin = (await test.auth.createToken({ groups: ["admin"] })).token;
    const user = (await test.auth.createToken({ groups: ["public"] })).token;
    const revoked = await test.auth.createToken({ groups: ["admin"] });
    await test.auth.revokeToken(revoked.record.id);

    expect(await call(admin)).toBe(200);
    expect(await call(admin)).toBe(200);
    expect(await call(user)).toBe(403);
    expect(await call()).toBe(401);
    expect(await call(revoked.token)).toBe(401);

    const metrics = authMetricSamples({ verify: outcomes });
    const outcome = (name: string) =>
      value(metrics, "gofr_auth_verifications_total", { outcome: name });
    expect(outcome("allowed")).toBe(2);
    expect(outcome("insufficient_groups")).toBe(1);
    expect(outcome("token_missing")).toBe(1);
    expect(outcome("token_revoked")).toBe(1);
    const family = metrics.find((metric) => metric.name === "gofr_auth_verifications_total");
    expect(family?.samples.reduce((sum, sample) => sum + sample.value, 0)).toBe(5);
  });
});

describe("the catalogue", () => {
  it("is what the sources return: every family, once, with its documented labels", () => {
    const sources: AuthMetricSources = {
      keyRing: new KeyRing({ source: new MemorySecretSource(), logger: silentLogger }),
      store: { stats: { recordReads: 0, recordCacheHits: 0, dataVersionChecks: 0 } },
      propagation: {
        stats: {
          polls: 0,
          pollFailures: 0,
          changesApplied: 0,
          resyncs: 0,
          markerVersion: 0,
          lastChangeLagMs: 0,
          lastPollOkAt: 0,
          outage: false,
          markerWriteFailures: 0,
        },
      },
      verify: new VerifyOutcomes(),
    };
    const metrics = authMetricSamples(sources);
    const catalogue = Object.values(AUTH_METRICS);
    expect(names(metrics).sort()).toEqual(catalogue.map((metric) => metric.name).sort());
    for (const metric of metrics) {
      for (const sample of metric.samples) {
        expect(Object.keys(sample.labels).sort(), metric.name).toEqual(
          [...metric.labelNames].sort(),
        );
      }
    }
  });

  it("follows the Prometheus naming rules: prefix, _total on counters only, base units", () => {
    for (const { name, type } of Object.values(AUTH_METRICS)) {
      expect(name).toMatch(/^gofr_auth_[a-z0-9_]+$/);
      expect(name.endsWith("_total"), name).toBe(type === "counter");
      expect(name, name).not.toMatch(/_(ms|milliseconds|minutes)(_|$)/);
    }
  });

  it("is documented in docs/metrics.md: each name with its type and labels", () => {
    const doc = readFileSync(new URL("../docs/metrics.md", import.meta.url), "utf8");
    for (const { name, type, labelNames } of Object.values(AUTH_METRICS)) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${name}\``));
      expect(row, `${name} has a row`).toBeDefined();
      const cells = (row ?? "").split("|").map((cell) => cell.trim());
      expect(cells[2], name).toBe(type);
      expect(cells[3], name).toBe(
        labelNames.length ? labelNames.map((l) => `\`${l}\``).join(", ") : "",
      );
    }
  });
});
