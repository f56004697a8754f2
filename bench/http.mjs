/**
 * http: GET /whoami on the Fastify reference service with auth (store-checked on the
 * embedded SQLite store, as `npm start` runs it; and stateless) against the same server with
 * auth off (`createWebServer({ auth: null })`). Each server runs in its own worker thread;
 * autocannon drives it from the main thread over loopback, 10 connections, the same request
 * (with the Authorization header) to every server. The duration (--duration, default 10 s
 * per server) is cut into slices that alternate between the servers, so load from other
 * processes hits every server alike; ratios are the median of the per-slice ratios.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import autocannon from "autocannon";
import { newSecret } from "./lib/fixtures.mjs";
import { median, target } from "./lib/harness.mjs";

export const name = "http";
export const title = "GET /whoami on the Fastify reference service (req/s, autocannon)";

const CONNECTIONS = 10;
/** Slices per server: about 2 s each, at least 2. */
const slicesFor = (duration) => Math.max(2, Math.min(5, Math.floor(duration / 2)));

const SERVERS = [
  { name: "auth-off", mode: "off", description: "createWebServer({ auth: null })" },
  {
    name: "auth",
    mode: "store",
    description: "auth on, store-checked (SQLite), verified cache on",
  },
  { name: "auth-stateless", mode: "stateless", description: "auth on, stateless" },
  {
    name: "auth-stub",
    mode: "stub",
    description: "diagnostic: the auth plugin with a verifier that returns a fixed context",
  },
];

function startServer(server, folder, secret) {
  const worker = new Worker(new URL("./lib/http-server.mjs", import.meta.url), {
    workerData: { mode: server.mode, folder, secret },
  });
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", ({ port, token }) => {
      worker.off("error", reject);
      resolve({ ...server, worker, port, token });
    });
  });
}

/** The server thread's event-loop busy time so far (ms). */
function busyMs(server) {
  return new Promise((resolve) => {
    server.worker.once("message", ({ elu }) => resolve(elu.active));
    server.worker.postMessage("elu");
  });
}

async function stopServer(server) {
  const exited = new Promise((resolve) => server.worker.once("exit", resolve));
  server.worker.postMessage("close");
  const timer = setTimeout(() => server.worker.terminate(), 5000);
  await exited;
  clearTimeout(timer);
}

/** The same request to every server: the auth-off one gets (and ignores) the header too. */
function load(server, seconds, token) {
  return autocannon({
    url: `http://127.0.0.1:${server.port}/whoami`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${server.token ?? token}` },
  });
}

export async function run({ options }) {
  const duration = options.duration;
  const folder = mkdtempSync(join(tmpdir(), "gofr-auth-bench-http-"));
  const servers = [];
  try {
    const secret = newSecret();
    for (const server of SERVERS) servers.push(await startServer(server, folder, secret));
    const totals = new Map(
      servers.map((server) => [server.name, { ok: 0, bad: 0, seconds: 0, busyMs: 0, runs: [] }]),
    );
    const token = servers.find((server) => server.token)?.token;
    for (const server of servers) await load(server, Math.min(1, duration / 2), token); // warm-up
    const slices = slicesFor(duration);
    for (let slice = 0; slice < slices; slice += 1) {
      for (const server of servers) {
        const busyBefore = await busyMs(server);
        const result = await load(server, duration / slices, token);
        const total = totals.get(server.name);
        total.busyMs += (await busyMs(server)) - busyBefore;
        total.ok += result["2xx"];
        total.bad += result.non2xx + result.errors + result.timeouts;
        total.seconds += result.duration;
        total.runs.push({
          reqPerSec: result["2xx"] / result.duration,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
        });
      }
    }
    const cases = servers.map((server) => {
      const total = totals.get(server.name);
      return {
        name: server.name,
        description: server.description,
        opsPerSec: total.ok / total.seconds,
        min: Math.min(...total.runs.map((r) => r.reqPerSec)),
        max: Math.max(...total.runs.map((r) => r.reqPerSec)),
        failed: total.bad,
        serverBusyUsPerRequest: (total.busyMs * 1000) / total.ok,
        p50Ms: Math.max(...total.runs.map((r) => r.p50Ms)),
        p99Ms: Math.max(...total.runs.map((r) => r.p99Ms)),
        runs: total.runs,
      };
    });
    const off = cases[0];
    for (const entry of cases) {
      entry.baseline = off.name;
      entry.ratio = median(entry.runs.map((run, i) => run.reqPerSec / off.runs[i].reqPerSec));
      entry.busyRatio = off.serverBusyUsPerRequest / entry.serverBusyUsPerRequest;
    }
    const failed = cases.reduce((sum, entry) => sum + entry.failed, 0);
    const ratio = (caseName) => cases.find((entry) => entry.name === caseName).ratio;
    return {
      baseline: off.name,
      cases,
      metrics: Object.fromEntries(
        cases.flatMap((entry) => [
          [`${entry.name} server busy us/request`, entry.serverBusyUsPerRequest],
          [`${entry.name} p50 / p99 ms`, `${entry.p50Ms} / ${entry.p99Ms}`],
        ]),
      ),
      targets: [
        target("auth (store-checked) / auth off", ratio("auth"), ">=", 0.9),
        target("auth (stateless) / auth off", ratio("auth-stateless"), ">=", 0.9),
        target("non-2xx answers or errors", failed, "<=", 0, "requests"),
      ],
      notes: [
        `${CONNECTIONS} connections, ${duration} s per server in ${slicesFor(duration)} alternating slices, after a warm-up`,
        "server (worker thread) and load generator (main thread) share the machine's cores",
        "server busy us/request: the server thread's event-loop active time per answered request",
        "auth-stub (no target): plugin, preHandler and the larger answer without token work",
      ],
    };
  } finally {
    for (const server of servers) await stopServer(server);
    rmSync(folder, { recursive: true, force: true });
  }
}
