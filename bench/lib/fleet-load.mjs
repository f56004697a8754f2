/**
 * HTTP traffic for the fleet bench: one undici pool per service process, a steady request
 * rate spread over the fleet, per-process probes with one token, a herd of concurrent
 * requests, and /metrics scrapes. Tokens are only ever put in headers, never printed.
 */
import { Pool } from "undici";
import { nowMs } from "./fleet-procs.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One pool per service; `get(i, token)` answers `{ status, code, t0, t1 }`. */
export class FleetClient {
  constructor(services, { connections = 4, pipelining = 1 } = {}) {
    this.services = services;
    this.pools = services.map(
      (service) =>
        new Pool(service.url, {
          connections,
          pipelining,
          keepAliveTimeout: 60_000,
          keepAliveMaxTimeout: 60_000,
        }),
    );
  }

  get size() {
    return this.pools.length;
  }

  /** GET `path` on process `i`; a refusal's `code` is read from its JSON body. */
  async get(i, token, path = "/whoami") {
    const t0 = nowMs();
    try {
      const headers = token ? { authorization: `Bearer ${token}` } : {};
      const { statusCode, body } = await this.pools[i].request({ path, method: "GET", headers });
      const text = await body.text();
      let code;
      if (statusCode !== 200) {
        try {
          code = JSON.parse(text).code;
        } catch {
          code = undefined;
        }
      }
      return { status: statusCode, code, t0, t1: nowMs(), text };
    } catch (error) {
      return { status: 0, code: error.code ?? "network", t0, t1: nowMs() };
    }
  }

  async close() {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }
}

/** Tallies of answers: 2xx and the rest by status and code. */
function newTally() {
  return { ok: 0, failed: 0, byOutcome: {} };
}

function record(tally, answer) {
  if (answer.status === 200) tally.ok += 1;
  else {
    tally.failed += 1;
    const key = `${answer.status} ${answer.code ?? ""}`.trim();
    tally.byOutcome[key] = (tally.byOutcome[key] ?? 0) + 1;
  }
}

/**
 * Sends `ratePerProcess` GET /whoami per second to every process, each with
 * `tokenFor(i, n)` (the n-th request to process i). At most `maxInFlight` requests wait per
 * process (on a saturated machine the rest are skipped and counted, not queued without end).
 */
export function startLoad(client, { ratePerProcess, tokenFor, maxInFlight = 32 }) {
  const tickMs = 40;
  const perTick = (ratePerProcess * tickMs) / 1000;
  const inFlight = new Array(client.size).fill(0);
  const sent = new Array(client.size).fill(0);
  const credit = new Array(client.size).fill(0);
  const tallies = new Set();
  const total = newTally();
  let skipped = 0;
  const pending = new Set();
  const fire = (i) => {
    if (inFlight[i] >= maxInFlight) {
      skipped += 1;
      return;
    }
    inFlight[i] += 1;
    const n = sent[i]++;
    const request = client.get(i, tokenFor(i, n)).then((answer) => {
      inFlight[i] -= 1;
      record(total, answer);
      for (const tally of tallies) record(tally, answer);
      pending.delete(request);
    });
    pending.add(request);
  };
  const timer = setInterval(() => {
    for (let i = 0; i < client.size; i += 1) {
      credit[i] += perTick;
      while (credit[i] >= 1) {
        credit[i] -= 1;
        fire(i);
      }
    }
  }, tickMs);
  return {
    total,
    get skipped() {
      return skipped;
    },
    /** A tally of the answers from now until `end()` is called. */
    tally() {
      const tally = newTally();
      tallies.add(tally);
      tally.end = () => {
        tallies.delete(tally);
        return tally;
      };
      return tally;
    },
    /** Stops sending and waits for the requests in flight. */
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

/**
 * Probes every process with `token` (one request at a time per process, `gapMs` apart)
 * while `operate()` runs, then until every process has refused the token with a request
 * sent after `operate` started (or `deadlineMs` after it returned), plus `tailMs` more to
 * see any process accept it again. Right after `operate` resolves, one request goes to every
 * process at once: "the next request". Returns the samples per process.
 */
export async function probeRefusal(client, token, operate, options) {
  const { gapMs = 20, deadlineMs = 10_000, tailMs = 300 } = options;
  const samples = Array.from({ length: client.size }, () => []);
  let startedAt = Number.POSITIVE_INFINITY;
  let stopping = false;
  let wake;
  const allRefused = new Promise((resolve) => {
    wake = resolve;
  });
  const refusedSince = (i) => samples[i].some((s) => s.status === 401 && s.t0 >= startedAt);
  const loops = samples.map(async (list, i) => {
    while (!stopping) {
      list.push(await client.get(i, token));
      if (samples.every((_, k) => refusedSince(k))) wake();
      await sleep(gapMs);
    }
  });
  await sleep(gapMs * 3); // a few accepted answers first: the token was valid everywhere
  startedAt = nowMs();
  const op = await operate();
  const next = await Promise.all(samples.map((_, i) => client.get(i, token)));
  next.forEach((answer, i) => {
    samples[i].push(answer);
  });
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(resolve, deadlineMs);
  });
  await Promise.race([allRefused, deadline]);
  clearTimeout(timer);
  await sleep(tailMs);
  stopping = true;
  await Promise.all(loops);
  for (const list of samples) list.sort((a, b) => a.t0 - b.t0);
  return { samples, next, op, startedAt };
}

/**
 * Per process: when the probe was first refused (send time of the first 401 sent at or
 * after `from`), whether any later probe was accepted again, and the refusal codes.
 */
export function refusals(result, from) {
  return result.samples.map((list) => {
    const after = list.filter((s) => s.t0 >= result.startedAt);
    const acceptedBefore = list.some((s) => s.t0 < result.startedAt && s.status === 200);
    const first = after.find((s) => s.status === 401);
    const acceptedAgain = first
      ? after.filter((s) => s.t0 > first.t0 && s.status === 200).length
      : 0;
    const codes = [...new Set(after.filter((s) => s.status !== 200).map((s) => s.code))];
    return {
      acceptedBefore,
      refusedAfterMs: first ? first.t0 - from : undefined,
      acceptedAgain,
      codes,
      unexpected: after.filter((s) => s.status !== 200 && s.status !== 401).length,
    };
  });
}

/**
 * `total` concurrent GET /whoami dispatched in one synchronous loop, round-robin over the
 * processes (`tokenFor(i, n)`). Returns every answer's status and latency.
 */
export async function herd(client, total, tokenFor) {
  const started = nowMs();
  const calls = [];
  for (let n = 0; n < total; n += 1) {
    const i = n % client.size;
    calls.push(client.get(i, tokenFor(i, n)));
  }
  const answers = await Promise.all(calls);
  return { answers, wallMs: nowMs() - started };
}

/** Sums of each metric family in Prometheus text (labels summed over). */
export function parseMetrics(text) {
  const sums = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = line.match(/^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/);
    if (!match) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) sums[match[1]] = (sums[match[1]] ?? 0) + value;
  }
  return sums;
}

/** Every process's /metrics, parsed. */
export async function scrape(client) {
  const answers = await Promise.all(
    client.services.map((_, i) => client.get(i, undefined, "/metrics")),
  );
  return answers.map((answer) => (answer.status === 200 ? parseMetrics(answer.text) : {}));
}
