/**
 * The measured phases of the fleet bench, each on a running fleet: steady-state store reads,
 * refusal of an old token after an operator change (CLI in a child process), a rotation with
 * grace under load, and a herd of concurrent requests at secret-cache expiry.
 */

import { FleetClient, herd, probeRefusal, refusals, scrape } from "./fleet-load.mjs";
import { cli, nowMs } from "./fleet-procs.mjs";
import { mintClients } from "./fleet-store.mjs";
import { percentile } from "./harness.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Metric families (docs/metrics.md) that count store reads made by a process. */
const SECRET_READS = "gofr_auth_secret_reads_total";
const RECORD_READS = "gofr_auth_token_record_reads_total";
const POLLS = "gofr_auth_propagation_polls_total";
const DATA_VERSION_CHECKS = "gofr_auth_store_data_version_checks_total";

/** The part of the secret TTL within which a herd's reads are its own (see `herdPhase`). */
const EARLY = 0.7;

const delta = (after, before, family) =>
  after[family] === undefined ? Number.NaN : after[family] - (before[family] ?? 0);

/** Every client token to every process once; throws unless all are accepted. */
export async function warm(client, clients) {
  const answers = await Promise.all(
    client.services.flatMap((_, i) => clients.map((c) => client.get(i, c.token))),
  );
  const refused = answers.filter((a) => a.status !== 200);
  if (refused.length > 0) {
    throw new Error(`bench: ${refused.length} warm-up requests refused (${refused[0].status})`);
  }
}

/**
 * Reads per minute from arrival times: the mean rate between the first and the last read,
 * which, unlike a count over the window, does not depend on where the window's edges fall
 * between two periodic reads; with fewer than two reads, the count over the window.
 */
function rateOf(times, windowMs) {
  if (times.length < 2) return (times.length * 60_000) / windowMs;
  return ((times.length - 1) * 60_000) / (times[times.length - 1] - times[0]);
}

/** The shortest time between two reads (ms); undefined with fewer than two. */
function minGap(times) {
  let gap;
  for (let k = 1; k < times.length; k += 1)
    gap = Math.min(gap ?? Infinity, times[k] - times[k - 1]);
  return gap;
}

/**
 * Store reads per process over `windowMs` of traffic: counted at each process's proxy on
 * Vault (every request it sent, by kind; the rate from their arrival times), from each
 * process's /metrics on SQLite (count over the window).
 */
export async function steadyState(services, client, windowMs) {
  const before = await scrape(client);
  const from = nowMs();
  await sleep(windowMs);
  const to = nowMs();
  const after = await scrape(client);
  const minutes = (to - from) / 60_000;
  return services.map((service, i) => {
    const reported = {
      secret: delta(after[i], before[i], SECRET_READS),
      record: delta(after[i], before[i], RECORD_READS),
      poll: delta(after[i], before[i], POLLS),
      dataVersionChecks: delta(after[i], before[i], DATA_VERSION_CHECKS),
    };
    const counted = service.proxy
      ? {
          poll: service.proxy.count(from, to, "poll"),
          secret: service.proxy.count(from, to, "secret"),
          record: service.proxy.count(from, to, "record"),
          other: service.proxy.count(from, to, "other"),
        }
      : undefined;
    if (!counted) {
      const reads = reported.secret + reported.record;
      return { reads, perMinute: reads / minutes, reported, windowMs: to - from };
    }
    const times = service.proxy.times(from, to);
    return {
      reads: times.length,
      perMinute: rateOf(times, to - from),
      minGapMs: minGap(times),
      counted,
      reported,
      windowMs: to - from,
    };
  });
}

/**
 * Probes every process with `token` while the CLI runs `args`, until each refuses it.
 * The clock starts at the commit seen by the Vault double, or on SQLite when the CLI exited
 * (whose "next request" must already be refused).
 */
export async function refusalPhase(store, client, token, args, { deadlineMs }) {
  const result = await probeRefusal(client, token, () => cli(args, store.operatorEnv), {
    deadlineMs,
  });
  const { op } = result;
  const commit = store.commitTime(op.startedAt);
  const from = store.kind === "vault" ? (commit ?? op.startedAt) : op.exitedAt;
  const per = refusals(result, from);
  if (!per.every((p) => p.acceptedBefore)) {
    throw new Error("bench: the probed token was not accepted everywhere before the change");
  }
  const afterExit = result.samples.flat().filter((s) => s.t0 >= op.exitedAt);
  return {
    per,
    refusedMs: per.map((p) => p.refusedAfterMs),
    acceptedAgain: per.reduce((sum, p) => sum + p.acceptedAgain, 0),
    unexpected: per.reduce((sum, p) => sum + p.unexpected, 0),
    codes: [...new Set(per.flatMap((p) => p.codes))],
    nextRefused: result.next.filter((a) => a.status === 401).length,
    acceptedAfterExit: afterExit.filter((s) => s.status === 200).length,
    requestsAfterExit: afterExit.length,
    cliMs: op.exitedAt - op.startedAt,
    commitFound: commit !== undefined,
    markerAfterMs:
      commit === undefined ? undefined : (store.markerWriteTime(commit) ?? Number.NaN) - commit,
  };
}

/** Processes (of all) that refuse `token` now: one request each. */
export async function refusedBy(client, token) {
  const answers = await Promise.all(client.services.map((_, i) => client.get(i, token)));
  return answers.filter((a) => a.status !== 200).length;
}

/**
 * `secrets rotate` under load on a fleet with a rotation grace: clients switch one by one to
 * tokens minted with the new key over `switchMs`, while the others keep their old ones. The
 * load runs until every process must have seen the change (`boundMs` after the CLI exited
 * on Vault), then stops; every old and every new client token is then sent to every
 * process once more.
 */
export async function gracePhase(store, client, load, clients, { switchMs, boundMs }) {
  const tally = load.tally();
  const op = await cli(["secrets", "rotate", "--yes"], store.operatorEnv);
  const old = clients.map((c) => c.token);
  const oldKid = clients[0].kid;
  const fresh = await mintClients(store.plane, clients.length);
  if (fresh[0].kid === oldKid) throw new Error("bench: no new key after the rotation");
  const switched = fresh.map(
    (c, k) =>
      new Promise((resolve) =>
        setTimeout(
          () => {
            clients[k] = c;
            resolve();
          },
          (k * switchMs) / fresh.length,
        ),
      ),
  );
  await Promise.all(switched);
  // Vault: every process has polled the change by then; SQLite sees it on the next request.
  const seenBy = store.kind === "vault" ? op.exitedAt + boundMs : nowMs();
  if (nowMs() < seenBy) await sleep(seenBy - nowMs());
  await load.stop(); // every request sent during the phase is answered and counted
  const { failed, ok, byOutcome } = tally.end();
  const check = await Promise.all(
    client.services.flatMap((_, i) =>
      [...old, ...fresh.map((c) => c.token)].map((t) => client.get(i, t)),
    ),
  );
  const checkFailed = check.filter((a) => a.status !== 200);
  return {
    loadOk: ok,
    loadFailed: failed,
    byOutcome,
    checked: check.length,
    checkFailed: checkFailed.length,
    failed: failed + checkFailed.length,
    oldKid,
    newKid: fresh[0].kid,
  };
}

/**
 * `total` concurrent requests spread over the fleet once every process's cached secret has
 * expired (no traffic for the TTL). The herd's own reads are those before `EARLY` of the TTL
 * has passed: later, a long herd may legitimately meet the refresh-ahead point (at 90% of
 * the TTL) and read again. On SQLite the early count comes from a /metrics scrape sent at
 * that point on separate connections; answered late, it can only count more, never less.
 */
export async function herdPhase(services, clients, { total, ttlSeconds }) {
  const client = new FleetClient(services, { connections: 32, pipelining: 16 });
  const side = new FleetClient(services, { connections: 1 });
  const tokenFor = (_i, n) => clients[n % clients.length].token;
  try {
    await sleep(ttlSeconds * 1000 + 250);
    const before = await scrape(side);
    const from = nowMs();
    const cutoff = from + EARLY * ttlSeconds * 1000;
    let timer;
    const early = new Promise((resolve) => {
      timer = setTimeout(() => resolve(scrape(side)), cutoff - from);
    });
    const { answers, wallMs } = await herd(client, total, tokenFor);
    const to = nowMs();
    // A herd done before the cutoff: nothing read since, one scrape serves both counts.
    if (to < cutoff) clearTimeout(timer);
    const after = await scrape(side);
    const mid = to < cutoff ? after : await early;
    const count = (kind, family, until, metrics) =>
      services.map((service, i) =>
        service.proxy
          ? service.proxy.count(from, until, kind)
          : delta(metrics[i], before[i], family),
      );
    const latencies = answers.map((a) => a.t1 - a.t0).sort((a, b) => a - b);
    return {
      reads: count("secret", SECRET_READS, cutoff, mid),
      readsWhole: count("secret", SECRET_READS, to, after),
      recordReads: count("record", RECORD_READS, to, after),
      earlyMs: cutoff - from,
      failures: answers.filter((a) => a.status !== 200).length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1],
      wallMs,
    };
  } finally {
    await Promise.all([client.close(), side.close()]);
  }
}
