/**
 * Measuring helpers shared by the benches. Every loop is bounded twice: by time and by a
 * count, so a pathological case cannot run away on a slow or busy machine.
 */
import { performance } from "node:perf_hooks";

/** Defaults, scaled for `npm run bench` to finish well under 3 minutes on 2 cores. */
export const DEFAULT_OPTIONS = {
  /** Interleaved rounds per case (the median is reported). */
  rounds: 15,
  /** Time budget of one case in one round. */
  roundMs: 100,
  /** Warm-up per case (JIT, caches) before the first round. */
  warmupMs: 300,
  /** Hard cap on the operations of one case in one round. */
  maxOpsPerRound: 2_000_000,
  /** HTTP bench: seconds per server. */
  duration: 10,
  /** Calls between two clock reads (a case of milliseconds per call wants 1). */
  callsPerCheck: 64,
};

let _sink;

/** Keeps results alive (a module variable is observable) so calls cannot be optimised away. */
export function consume(value) {
  _sink = value;
}

/** Whether `fn` returns a promise (decided on one call). */
async function detectAsync(fn) {
  const first = fn();
  if (first && typeof first.then === "function") {
    consume(await first);
    return true;
  }
  consume(first);
  return false;
}

/**
 * Runs `fn` for at most `ms` and at most `maxOps` calls; returns ops per wall-clock second
 * and ops per CPU second of the process (less sensitive to other processes on the machine).
 */
async function runFor(fn, isAsync, ms, maxOps, batch = DEFAULT_OPTIONS.callsPerCheck) {
  let ops = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  if (isAsync) {
    while (elapsed < ms && ops < maxOps) {
      for (let i = 0; i < batch; i += 1) _sink = await fn();
      ops += batch;
      elapsed = performance.now() - start;
    }
  } else {
    while (elapsed < ms && ops < maxOps) {
      for (let i = 0; i < batch; i += 1) _sink = fn();
      ops += batch;
      elapsed = performance.now() - start;
    }
  }
  const used = process.cpuUsage(cpu);
  return { wall: (ops / elapsed) * 1000, cpu: (ops / (used.user + used.system)) * 1e6 };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Measures `cases` ({ name, fn }) in interleaved rounds (the starting case rotates each round,
 * so slow drift of a shared machine hits every case alike). Returns, per case, the median
 * ops/s, the spread (min, max) and the per-round samples, wall-clock and per CPU second.
 */
export async function compare(cases, options) {
  const { rounds, roundMs, warmupMs, maxOpsPerRound, callsPerCheck } = {
    ...DEFAULT_OPTIONS,
    ...options,
  };
  const prepared = [];
  for (const entry of cases) {
    const isAsync = await detectAsync(entry.fn);
    await runFor(entry.fn, isAsync, warmupMs, maxOpsPerRound, callsPerCheck);
    prepared.push({ ...entry, isAsync, samples: [], cpuSamples: [] });
  }
  for (let round = 0; round < rounds; round += 1) {
    for (let k = 0; k < prepared.length; k += 1) {
      const entry = prepared[(round + k) % prepared.length];
      const sample = await runFor(entry.fn, entry.isAsync, roundMs, maxOpsPerRound, callsPerCheck);
      entry.samples.push(sample.wall);
      entry.cpuSamples.push(sample.cpu);
    }
  }
  consume(undefined);
  return prepared.map((entry) => ({
    name: entry.name,
    description: entry.description,
    opsPerSec: median(entry.samples),
    min: Math.min(...entry.samples),
    max: Math.max(...entry.samples),
    opsPerCpuSec: median(entry.cpuSamples),
    samples: entry.samples.map(Math.round),
    cpuSamples: entry.cpuSamples.map(Math.round),
  }));
}

/**
 * Median over rounds of `a`'s ops/s divided by `b`'s in the same round: each pair was
 * measured within one round, so a burst of load from other processes mostly cancels out.
 */
function pairedRatio(a, b, key) {
  const ratios = a[key].map((value, round) => value / b[key][round]);
  return median(ratios);
}

/** Adds `ratio` (paired, wall clock) and `cpuRatio` (paired, per CPU second) to each result. */
export function withRatios(results, baselineName) {
  const baseline = results.find((result) => result.name === baselineName);
  if (!baseline) throw new Error(`bench: no baseline case '${baselineName}'`);
  return results.map((result) => ({
    ...result,
    baseline: baselineName,
    ratio: pairedRatio(result, baseline, "samples"),
    cpuRatio: pairedRatio(result, baseline, "cpuSamples"),
  }));
}

/** The paired ratio of two named cases (wall clock). */
export function ratioOf(results, name, baselineName) {
  const a = results.find((result) => result.name === name);
  const b = results.find((result) => result.name === baselineName);
  if (!a || !b) throw new Error(`bench: missing case '${a ? baselineName : name}'`);
  return pairedRatio(a, b, "samples");
}

/** The paired ratio of two named cases per CPU second of the process (less sensitive to load). */
export function cpuRatioOf(results, name, baselineName) {
  const a = results.find((result) => result.name === name);
  const b = results.find((result) => result.name === baselineName);
  if (!a || !b) throw new Error(`bench: missing case '${a ? baselineName : name}'`);
  return pairedRatio(a, b, "cpuSamples");
}

/** `cases` reduced to `only` and the baseline (for `--case`, when profiling one case). */
export function pick(cases, only, baselineName) {
  if (!only) return cases;
  const kept = cases.filter((entry) => entry.name === only || entry.name === baselineName);
  if (!kept.some((entry) => entry.name === only)) {
    throw new Error(
      `bench: no case '${only}' (cases: ${cases.map((entry) => entry.name).join(", ")})`,
    );
  }
  return kept;
}

/** Whether a case was measured (it may have been left out with `--case`). */
export function measured(results, ...names) {
  return names.every((caseName) => results.some((result) => result.name === caseName));
}

/** A target line: `value` compared to `limit` (`>=` or `<=`). */
export function target(name, value, comparator, limit, unit = "x") {
  const met = comparator === ">=" ? value >= limit : value <= limit;
  return { name, value, comparator, limit, unit, met };
}

/** Percentile (0-100) of already sorted numbers, nearest rank. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
