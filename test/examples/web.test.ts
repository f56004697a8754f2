import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MainResult } from "../../examples/shared/main.js";
import { main as webMain } from "../../examples/web/main.js";
import { createWebServer } from "../../examples/web/server.js";
import { AuthService } from "../../src/auth-service.js";
import { runCli } from "../../src/cli/program.js";
import { type ResolvedAuthConfig, resolveAuthConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import {
  createTestAuthService,
  ManualClock,
  ManualTimers,
  TEST_SECRET,
  VaultDouble,
} from "../../src/testing/index.js";
import { captureLogger } from "../support/capture-logger.js";
import { ControlledSource, unreachable } from "../support/controlled-source.js";
import { randomSecret } from "../vault/helpers.js";
import { DOUBLE_ROOT_TOKEN } from "../vault/target.js";
import { parsePrometheusText, type Series } from "./prometheus-text.js";

async function start(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

const get = (url: string, token?: string) =>
  fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

const SHARED = `{secret="${SHARED_SECRET_NAME}"}`;

/** `name{labels} value` from Prometheus text, or undefined when the sample is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("web reference service with auth", () => {
  const test = createTestAuthService();
  let app: FastifyInstance;
  let url: string;
  let user: string;
  let admin: string;

  beforeAll(async () => {
    user = (await test.auth.createToken({ groups: ["public"], name: "web-user" })).token;
    admin = (await test.auth.createToken({ groups: ["admin"], name: "web-admin" })).token;
    ({ app } = await createWebServer({ auth: test.auth, logger: silentLogger }));
    url = await start(app);
  });
  afterAll(() => app.close());

  it("GET /health needs no token", async () => {
    const response = await get(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("GET /ready is 200 while the secret loads", async () => {
    const response = await get(`${url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready" });
  });

  it("GET /whoami returns the context without the token", async () => {
    const response = await get(`${url}/whoami`, user);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain(user);
    expect(JSON.parse(text)).toMatchObject({
      authenticated: true,
      subject: "web-user",
      groups: ["public"],
      keyId: "shared.v1",
    });
  });

  it("GET /whoami without a token is a 401 with a challenge", async () => {
    const response = await get(`${url}/whoami`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect(await response.json()).toMatchObject({ code: "token_missing" });
  });

  it("GET /admin/ping is 403 for a non-admin and 200 for an admin", async () => {
    const refused = await get(`${url}/admin/ping`, user);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toMatch(/error="insufficient_scope"/);
    expect(await refused.json()).toMatchObject({ code: "insufficient_groups" });
    const ok = await get(`${url}/admin/ping`, admin);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ pong: true, subject: "web-admin" });
  });

  it("GET /metrics counts verifications by outcome, secret reads and rotations", async () => {
    const before = await (await get(`${url}/metrics`)).text();
    const count = (text: string, series: string) => sample(text, series) ?? 0;

    await get(`${url}/whoami`, user);
    await get(`${url}/whoami`, user);
    await get(`${url}/whoami`);
    await get(`${url}/admin/ping`, user);
    // A rotation, seen when the provider next reads the store (/ready forces a read here).
    test.source.set(SHARED_SECRET_NAME, "rotated-secret-value-that-is-at-least-32-bytes");
    test.provider.invalidate();
    expect((await get(`${url}/ready`)).status).toBe(200);

    const response = await get(`${url}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = await response.text();
    const delta = (series: string) => count(after, series) - count(before, series);
    expect(delta('gofr_auth_verifications_total{outcome="allowed"}')).toBe(2);
    expect(delta('gofr_auth_verifications_total{outcome="token_missing"}')).toBe(1);
    expect(delta('gofr_auth_verifications_total{outcome="insufficient_groups"}')).toBe(1);
    expect(delta(`gofr_auth_secret_reads_total${SHARED}`)).toBe(1);
    expect(delta(`gofr_auth_secret_rotations_total${SHARED}`)).toBe(1);
    expect(sample(after, `gofr_auth_secret_reads_total${SHARED}`)).toBe(test.provider.stats.reads);
    expect(sample(after, "gofr_auth_enabled")).toBe(1);
    expect(delta('gofr_http_requests_total{route="/whoami",status="200"}')).toBe(2);
    expect(after).toContain("# TYPE gofr_auth_verifications_total counter");
    expect(after).not.toContain(TEST_SECRET);
  });

  it("GET /metrics is valid Prometheus text with the library's families", async () => {
    await get(`${url}/whoami`, user);
    const response = await get(`${url}/metrics`);
    const { types, series } = parsePrometheusText(await response.text());
    expect(types.get("gofr_auth_verifications_total")).toBe("counter");
    expect(types.get("gofr_auth_secret_reads_total")).toBe("counter");
    expect(types.get("gofr_http_requests_total")).toBe("counter");
    expect(types.get("gofr_auth_enabled")).toBe("gauge");
    expect(series.some((s) => s.name === "gofr_auth_verifications_total")).toBe(true);
    // The memory store keeps no stats, and there is no poller: no such families at all.
    expect([...types.keys()].filter((name) => /record|propagation/.test(name))).toEqual([]);
  });

  it("scraping twice counts nothing twice: only the /metrics request itself moves", async () => {
    await get(`${url}/whoami`, user);
    const first = parsePrometheusText(await (await get(`${url}/metrics`)).text()).series;
    const second = parsePrometheusText(await (await get(`${url}/metrics`)).text()).series;
    const scrape = 'gofr_http_requests_total{route="/metrics",status="200"}';
    const values = (list: Series[]) =>
      Object.fromEntries(list.filter((s) => s.key !== scrape).map((s) => [s.key, s.value]));
    expect(values(second)).toEqual(values(first));
    const scrapes = (list: Series[]) => list.find((s) => s.key === scrape)?.value ?? 0;
    expect(scrapes(second)).toBe(scrapes(first) + 1);
  });
});

describe("web reference service scrapes", () => {
  it("never read the secret store, even when the cached key is due for a refresh", async () => {
    const clock = new ManualClock();
    const test = createTestAuthService({ clock: clock.now });
    const token = (await test.auth.createToken({ groups: ["public"] })).token;
    const { app } = await createWebServer({ auth: test.auth, processMetrics: true });
    const url = await start(app);
    try {
      expect((await get(`${url}/whoami`, token)).status).toBe(200);
      clock.advanceSeconds(290); // inside the refresh-ahead window (the last 30 s of 300)
      const reads = () => test.source.reads.get(SHARED_SECRET_NAME) ?? 0;
      const before = reads();
      for (let i = 0; i < 3; i++) {
        parsePrometheusText(await (await get(`${url}/metrics`)).text());
      }
      expect(reads()).toBe(before);
      // The window was real: a request does start the background read.
      expect((await get(`${url}/whoami`, token)).status).toBe(200);
      expect(reads()).toBe(before + 1);
    } finally {
      await app.close();
    }
  });

  it("include prom-client's process metrics when asked", async () => {
    const test = createTestAuthService();
    const { app } = await createWebServer({ auth: test.auth, processMetrics: true });
    const url = await start(app);
    try {
      const { types } = parsePrometheusText(await (await get(`${url}/metrics`)).text());
      expect(types.get("process_cpu_user_seconds_total")).toBe("counter");
      expect(types.get("gofr_auth_verifications_total")).toBe("counter");
    } finally {
      await app.close();
    }
  });
});

describe("web reference service while the secret store is down", () => {
  const source = new ControlledSource(TEST_SECRET);
  const provider = new JwtSecretProvider({ source, logger: silentLogger });
  const auth = new AuthService({ store: new MemoryAuthStore(), secretProvider: provider });
  let app: FastifyInstance;
  let url: string;
  let token: string;

  beforeAll(async () => {
    token = (await auth.createToken({ groups: ["public"] })).token;
    source.failWith(unreachable());
    provider.invalidate();
    ({ app } = await createWebServer({ auth }));
    url = await start(app);
  });
  afterAll(() => app.close());

  it("GET /ready is 503 with Retry-After, then 200 once the store is back", async () => {
    const down = await get(`${url}/ready`);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    expect(await down.json()).toEqual({ status: "unavailable", code: "vault_unreachable" });

    source.failWith(undefined);
    expect((await get(`${url}/ready`)).status).toBe(200);
  });

  it("a valid token gets 503, not 401, during the outage", async () => {
    source.failWith(unreachable());
    provider.invalidate();
    const response = await get(`${url}/whoami`, token);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("www-authenticate")).toBeNull();
    const metrics = await (await get(`${url}/metrics`)).text();
    expect(sample(metrics, 'gofr_auth_verifications_total{outcome="vault_unreachable"}')).toBe(1);
    expect(sample(metrics, `gofr_auth_secret_read_failures_total${SHARED}`)).toBeGreaterThanOrEqual(
      1,
    );
  });
});

describe("web reference service with --no-auth", () => {
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    ({ app } = await createWebServer({ auth: null, noAuthReason: "--no-auth flag" }));
    url = await start(app);
  });
  afterAll(() => app.close());

  it("serves every route without a token and says so", async () => {
    expect(await (await get(`${url}/whoami`)).json()).toEqual({
      authenticated: false,
      reason: "--no-auth flag",
    });
    expect((await get(`${url}/admin/ping`)).status).toBe(200);
    expect(await (await get(`${url}/ready`)).json()).toEqual({ status: "ready", auth: "disabled" });
    const metrics = await (await get(`${url}/metrics`)).text();
    expect(sample(metrics, "gofr_auth_enabled")).toBe(0);
    expect(metrics).not.toContain("gofr_auth_secret_reads_total");
    expect(metrics).not.toContain("gofr_auth_verifications_total");
    expect(parsePrometheusText(metrics).types.get("gofr_http_requests_total")).toBe("counter");
  });
});

describe("the Prometheus text reader used above", () => {
  it("accepts prom-client's own output and refuses what Prometheus would refuse", () => {
    const good = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="q\\"\\\\\\n"} 3\n\n';
    expect(parsePrometheusText(good).series[0]?.labels).toEqual({ x: 'q"\\\n' });
    for (const bad of [
      "# TYPE a counter\na 1", // no final newline
      "a 1\n", // no TYPE
      '# TYPE a counter\na{1x="y"} 1\n', // bad label name
      '# TYPE a counter\na{x="y} 1\n', // unterminated value
      "# TYPE a counter\na one\n", // bad value
      "# TYPE a counter\na 1\na 2\n", // duplicate series
      "# TYPE a counter\n# TYPE a gauge\na 1\n", // second TYPE
      "# TYPE a counter\na 1\n# HELP a late\n", // HELP after samples
      "# TYPE a counter\n# TYPE b gauge\nb 1\na 1\n", // family split
    ]) {
      expect(() => parsePrometheusText(bad), bad).toThrow();
    }
  });
});

describe("web main() publishes the auth plane's metrics", () => {
  let dir: string;
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  const running = (result: MainResult) => {
    if (result.kind !== "running")
      throw new Error(`expected a running service, got ${result.code}`);
    return result;
  };
  const scrape = async (url: string) => {
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const { series } = parsePrometheusText(await response.text());
    return (key: string) => series.find((s) => s.key === key)?.value;
  };

  it("on the embedded store: record reads and cache hits move with verifications", async () => {
    dir = await mkdtemp(join(tmpdir(), "gofr-web-metrics-"));
    const env = { GOFR_AUTH_STORE: join(dir, "auth.db") };
    const quiet = { stdout: () => {}, stderr: () => {} };
    expect(await runCli(["init"], { env, io: quiet })).toBe(0);
    const out: string[] = [];
    const io = { stdout: (text: string) => out.push(text), stderr: () => {} };
    expect(await runCli(["--json", "tokens", "create", "--groups", "admin"], { env, io })).toBe(0);
    const token = JSON.parse(out.join("")).token as string;

    const service = running(
      await webMain(["--port", "0"], { env, logger: captureLogger(), stdout: () => {} }),
    );
    try {
      const idle = await scrape(service.url);
      expect(idle("gofr_auth_token_record_reads_total")).toBe(0);
      expect(idle("process_resident_memory_bytes")).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++)
        expect((await get(`${service.url}/whoami`, token)).status).toBe(200);
      const later = await scrape(service.url);
      expect(later("gofr_auth_token_record_reads_total")).toBe(1);
      expect(later("gofr_auth_token_record_cache_hits_total")).toBe(2);
      expect(later("gofr_auth_store_data_version_checks_total")).toBe(3);
      expect(later('gofr_auth_verifications_total{outcome="allowed"}')).toBe(3);
      expect(later("gofr_auth_propagation_polls_total")).toBeUndefined(); // no poll on SQLite
    } finally {
      await service.close();
    }
  });

  it("on Vault: the change poller's stats, and scrapes that send Vault nothing", async () => {
    const vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
    const vaultUrl = await vault.start();
    vault.putSecret(SHARED_SECRET_NAME, { value: randomSecret("web") });
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const env = { GOFR_VAULT_URL: vaultUrl, GOFR_VAULT_TOKEN: DOUBLE_ROOT_TOKEN };
    const closing: Array<() => Promise<void>> = [() => vault.close()];
    try {
      const operator = await resolveAuthConfig({
        envPrefix: "GOFR",
        env,
        clock: clock.now,
        logger: silentLogger,
        followChanges: false,
      });
      closing.unshift(() => (operator.authEnabled ? operator.close() : Promise.resolve()));
      const planes: ResolvedAuthConfig[] = [];
      const service = running(
        await webMain(["--port", "0"], {
          env,
          logger: captureLogger(),
          stdout: () => {},
          resolve: async (options) => {
            const plane = await resolveAuthConfig({ ...options, clock: clock.now, timers });
            planes.push(plane);
            return plane;
          },
        }),
      );
      closing.unshift(() => service.close());
      if (!operator.authEnabled) throw new Error("operator plane without auth");
      expect(planes[0]?.authEnabled && planes[0].propagation).toBeTruthy();
      const { token, record } = await operator.auth.createToken({ groups: ["public"] });
      expect((await get(`${service.url}/whoami`, token)).status).toBe(200);

      const start = await scrape(service.url);
      expect(start("gofr_auth_propagation_polls_total")).toBe(1); // the start-up poll
      expect(start("gofr_auth_propagation_outage")).toBe(0);
      expect(start("gofr_auth_propagation_last_change_lag_seconds")).toBeUndefined();
      const vaultRequests = vault.requests.length;
      await scrape(service.url);
      expect(vault.requests.length).toBe(vaultRequests); // a scrape reads no store

      await operator.auth.revokeToken(record.id); // appends to the change marker
      expect(timers.pending).toEqual([2000]); // only the next poll, one interval away
      expect(await timers.runNext()).toBe(true);
      const later = await scrape(service.url);
      expect(later("gofr_auth_propagation_polls_total")).toBe(2);
      expect(later("gofr_auth_propagation_changes_applied_total")).toBe(1);
      expect(later("gofr_auth_propagation_marker_version")).toBeGreaterThan(0);
      expect(later("gofr_auth_propagation_last_change_lag_seconds")).toBe(2); // the interval
      expect(later("gofr_auth_propagation_last_poll_success_timestamp_seconds")).toBe(
        clock.now() / 1000,
      );
      // The age is computed with the system clock here (the plane runs on a manual one).
      expect(later("gofr_auth_propagation_last_poll_age_seconds")).toBeGreaterThanOrEqual(0);
      expect((await get(`${service.url}/whoami`, token)).status).toBe(401);
      expect(later("gofr_auth_token_record_reads_total")).toBe(1);
    } finally {
      for (const close of closing) await close();
    }
  });
});
