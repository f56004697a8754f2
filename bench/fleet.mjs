/**
 * fleet: real processes of the reference web service (examples/web, as `node main.js`) on ONE
 * store, first the Vault double (in this process, over HTTP on 127.0.0.1), then one SQLite
 * file. Under a steady load spread over the fleet, the operator CLI (a child process)
 * revokes a token and rotates the signing secret, and each process is probed with the old
 * token until it refuses it. Two fleets per store, because grace and secret TTL are settings
 * of the services: fleet A (grace 0, default secret TTL) for steady-state store reads,
 * revocation and rotation; fleet B (ROTATION_GRACE=60, a short JWT_SECRET_TTL) for a
 * rotation with grace under load and a herd of concurrent requests at secret expiry.
 * Store reads are counted per process at a proxy in front of the double (Vault) or from each
 * process's /metrics (SQLite). `--duration S` (default 10) sets the steady-state windows
 * (2 S on Vault, S / 2 on SQLite); below 5 (`--quick`) the fleet is 4 processes and the herd
 * 2,000 requests. See docs/fleet-bench.md.
 */

import { FleetClient, startLoad } from "./lib/fleet-load.mjs";
import {
  gracePhase,
  herdPhase,
  refusalPhase,
  refusedBy,
  steadyState,
  warm,
} from "./lib/fleet-phases.mjs";
import { nowMs } from "./lib/fleet-procs.mjs";
import { reportStore } from "./lib/fleet-report.mjs";
import { mintClients, openSqliteStore, openVaultStore } from "./lib/fleet-store.mjs";

export const name = "fleet";
export const title =
  "Rotation and revocation across a fleet of service processes (Vault double, SQLite file)";

const INTERVAL_SECONDS = 2;

/** Runs `fn`, adding its duration (s) to `timings[label]`. */
async function timed(timings, label, fn) {
  const t0 = nowMs();
  try {
    return await fn();
  } finally {
    timings[label] = (nowMs() - t0) / 1000;
  }
}

function planFor(options) {
  const quick = options.duration < 5;
  return {
    quick,
    intervalSeconds: INTERVAL_SECONDS,
    processes: quick ? 4 : 8,
    clients: 16,
    ratePerProcess: 25,
    steadyMs: { vault: options.duration * 2000, sqlite: options.duration * 500 },
    herd: quick ? 2_000 : 10_000,
    herdTtlSeconds: 6,
    graceSeconds: 60,
    switchMs: 1000,
    boundMs: INTERVAL_SECONDS * 1000 + 1000,
    deadlineMs: 10_000,
  };
}

const ENV_A = {
  GOFR_PROPAGATION_SECONDS: String(INTERVAL_SECONDS),
  GOFR_ROTATION_GRACE: "0",
};

/** Fleet A: steady state, then `tokens revoke` and `secrets rotate` (grace 0) under load. */
async function fleetA(store, plan, timings) {
  const services = await timed(timings, "start A", () => store.startFleet(plan.processes, ENV_A));
  const client = new FleetClient(services);
  const clients = await mintClients(store.plane, plan.clients);
  const load = startLoad(client, {
    ratePerProcess: plan.ratePerProcess,
    tokenFor: (i, n) => clients[(i + n) % clients.length].token,
  });
  try {
    await warm(client, clients);
    const steady = await timed(timings, "steady", () =>
      steadyState(services, client, plan.steadyMs[store.kind]),
    );
    const [victim] = await mintClients(store.plane, 1);
    const revoke = await timed(timings, "revoke", () =>
      refusalPhase(store, client, victim.token, ["tokens", "revoke", victim.id], plan),
    );
    const rotate = await timed(timings, "rotate", () =>
      refusalPhase(store, client, clients[0].token, ["secrets", "rotate", "--yes"], plan),
    );
    const [fresh] = await mintClients(store.plane, 1);
    rotate.newKeyRefusedBy = await refusedBy(client, fresh.token);
    return { steady, revoke, rotate, loadSkipped: load.skipped };
  } finally {
    await load.stop();
    await client.close();
    await store.stopFleet(services);
  }
}

/** Fleet B: a rotation with grace under load, then the herd at secret expiry. */
async function fleetB(store, plan, timings) {
  const services = await timed(timings, "start B", () =>
    store.startFleet(plan.processes, {
      GOFR_PROPAGATION_SECONDS: String(INTERVAL_SECONDS),
      GOFR_ROTATION_GRACE: String(plan.graceSeconds),
      GOFR_JWT_SECRET_TTL: String(plan.herdTtlSeconds),
    }),
  );
  const client = new FleetClient(services);
  const clients = await mintClients(store.plane, plan.clients);
  try {
    await warm(client, clients);
    const load = startLoad(client, {
      ratePerProcess: plan.ratePerProcess,
      tokenFor: (i, n) => clients[(i + n) % clients.length].token,
    });
    let grace;
    try {
      grace = await timed(timings, "grace", () => gracePhase(store, client, load, clients, plan));
    } finally {
      await load.stop();
    }
    const herd = await timed(timings, "herd", () =>
      herdPhase(services, clients, { total: plan.herd, ttlSeconds: plan.herdTtlSeconds }),
    );
    return { grace, herd };
  } finally {
    await client.close();
    await store.stopFleet(services);
  }
}

export async function run({ lib, testing, options }) {
  const plan = planFor(options);
  const results = {};
  for (const open of [openVaultStore, openSqliteStore]) {
    const timings = {};
    const store = await timed(timings, "init", () => open({ lib, testing }));
    try {
      process.stderr.write(`fleet: ${store.label}, fleet A ...\n`);
      const a = await fleetA(store, plan, timings);
      process.stderr.write(`fleet: ${store.label}, fleet B ...\n`);
      const b = await fleetB(store, plan, timings);
      results[store.kind] = { ...a, ...b, timings };
    } finally {
      await store.close();
    }
  }
  const reports = Object.entries(results).map(([kind, r]) => reportStore(kind, r, plan));
  return {
    metrics: Object.assign({}, ...reports.map((r) => r.metrics)),
    targets: reports.flatMap((r) => r.targets),
    rounds: reports.map((r) => r.round),
    notes: [
      `${plan.processes} processes of examples/web per fleet; ${plan.ratePerProcess} req/s per process of GET /whoami (store-checked) with ${plan.clients} client tokens`,
      `Vault: PROPAGATION_SECONDS=${INTERVAL_SECONDS}, bound ${plan.boundMs} ms from the commit the double saw; SQLite: the bound is the next request after the CLI exited`,
      "refusal time: send time of the first 401 to a probe (one request at a time per process, 20 ms apart)",
      `herd: ${plan.herd} concurrent requests (32 connections x 16 pipelined per process) after ${plan.herdTtlSeconds} s without traffic (JWT_SECRET_TTL=${plan.herdTtlSeconds}); the target counts reads in the first 70% of the TTL`,
      "store reads counted at a proxy per process on Vault, from each process's /metrics on SQLite",
      ...reports.flatMap((r) => r.notes),
    ],
    raw: results,
  };
}
