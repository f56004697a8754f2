/**
 * The fleet bench's output for one store: metric lines, targets (met or missed) and notes,
 * in the shape bench/run.mjs prints.
 */
import { median, target } from "./harness.mjs";

const defined = (values) => values.filter((v) => v !== undefined);
/** Max of per-process times; infinite when some process never refused. */
const maxOf = (values) =>
  values.some((v) => v === undefined) ? Number.POSITIVE_INFINITY : Math.max(...values);
const ms = (value) => (Number.isFinite(value) ? value.toFixed(0) : "never");
const range = (values) => `${Math.min(...values)}..${Math.max(...values)}`;

function refusalLines(kind, phase, result, plan, out) {
  const times = defined(result.refusedMs);
  const from = kind === "vault" ? "after the commit" : "from the CLI exit (< 0: before it)";
  out.metrics[`${kind} ${phase}: old token first refused ${from}, p50 / max ms`] =
    `${ms(median(times))} / ${ms(maxOf(result.refusedMs))} (${times.length}/${plan.processes} processes)`;
  out.metrics[`${kind} ${phase}: CLI run ms`] = ms(result.cliMs);
  out.metrics[`${kind} ${phase}: refusal codes`] = result.codes.join(", ") || "-";
  if (kind === "vault") {
    out.metrics[`${kind} ${phase}: marker written ms after commit`] = ms(result.markerAfterMs);
    out.targets.push(
      target(
        `${kind} ${phase}: max time to refusal`,
        maxOf(result.refusedMs),
        "<=",
        plan.boundMs,
        "ms",
      ),
    );
    if (!result.commitFound)
      out.notes.push(`${kind} ${phase}: no commit seen; times from the CLI start`);
  } else {
    out.metrics[`${kind} ${phase}: next request after the CLI refused`] =
      `${result.nextRefused}/${plan.processes} processes (${result.requestsAfterExit} probes after exit)`;
    out.targets.push(
      target(
        `${kind} ${phase}: old token accepted after the CLI exited (next request)`,
        result.acceptedAfterExit,
        "<=",
        0,
        "requests",
      ),
    );
  }
  out.targets.push(
    target(
      `${kind} ${phase}: old token accepted again after a refusal`,
      result.acceptedAgain + result.unexpected,
      "<=",
      0,
      "requests",
    ),
  );
}

function steadyLines(kind, steady, plan, out) {
  const perMinute = steady.map((s) => s.perMinute);
  const windowS = (steady[0]?.windowMs ?? 0) / 1000;
  const how =
    kind === "vault"
      ? "mean rate between the first and last read in the window"
      : "count over the window";
  out.metrics[`${kind} steady state: store reads per process per minute, median / max`] =
    `${median(perMinute).toFixed(1)} / ${Math.max(...perMinute).toFixed(1)} (${how}: ${windowS.toFixed(1)} s, scaled to a minute)`;
  out.metrics[`${kind} steady state: reads per process in the window (min..max)`] = range(
    steady.map((s) => s.reads),
  );
  const mean = (key, source) =>
    (steady.reduce((sum, s) => sum + (s[source]?.[key] ?? Number.NaN), 0) /
      steady.length /
      windowS) *
    60;
  if (kind === "vault") {
    out.metrics[`${kind} steady state: per process per minute, polls / secret / record / other`] = [
      "poll",
      "secret",
      "record",
      "other",
    ]
      .map((k) => mean(k, "counted").toFixed(1))
      .join(" / ");
    out.metrics[`${kind} steady state: polls per process per minute as /metrics reports them`] =
      mean("poll", "reported").toFixed(1);
    out.metrics[`${kind} steady state: shortest time between two reads of one process`] =
      `${ms(Math.min(...steady.map((s) => s.minGapMs ?? Infinity)))} ms`;
  } else {
    out.metrics[`${kind} steady state: data_version checks per process per minute`] = mean(
      "dataVersionChecks",
      "reported",
    ).toFixed(1);
  }
  out.targets.push(
    target(
      `${kind} steady-state store reads per process per minute (max)`,
      Math.max(...perMinute),
      "<=",
      60 / plan.intervalSeconds,
      "reads/min",
    ),
  );
}

function graceLines(kind, grace, out) {
  const outcomes = Object.keys(grace.byOutcome).length ? ` ${JSON.stringify(grace.byOutcome)}` : "";
  out.metrics[`${kind} grace rotation: load requests ok / failed`] =
    `${grace.loadOk} / ${grace.loadFailed}${outcomes}`;
  out.metrics[`${kind} grace rotation: old and new tokens checked on every process, failed`] =
    `${grace.checkFailed} of ${grace.checked}`;
  out.targets.push(
    target(`${kind} rotation with grace: failed requests`, grace.failed, "<=", 0, "requests"),
  );
}

function herdLines(kind, h, plan, out) {
  out.metrics[`${kind} herd: secret reads per process, first ${ms(h.earlyMs)} ms / whole herd`] =
    `${range(h.reads)} / ${range(h.readsWhole)}; record reads ${h.recordReads.reduce((a, b) => a + b, 0)}`;
  out.targets.push(
    target(
      `${kind} herd at secret expiry: secret reads per process (max)`,
      Math.max(...h.reads),
      "<=",
      1,
      "reads",
    ),
    target(`${kind} herd: failed requests`, h.failures, "<=", 0, "requests"),
    // Else the herd did not meet an expired cache and the read target would hold vacuously.
    target(
      `${kind} herd: processes whose cache had not expired (no read)`,
      h.reads.filter((reads) => reads === 0).length,
      "<=",
      0,
      "processes",
    ),
  );
  if (h.wallMs > plan.herdTtlSeconds * 900) {
    out.notes.push(
      `${kind} herd lasted ${ms(h.wallMs)} ms, past the refresh-ahead point (90% of the ${plan.herdTtlSeconds} s TTL): reads after it are refresh-ahead, not the herd's`,
    );
  }
  out.round = {
    label: `${kind} herd`,
    storeReads: Math.max(...h.reads),
    failures: h.failures,
    p50Ms: h.p50Ms,
    p99Ms: h.p99Ms,
    maxMs: h.maxMs,
    wallMs: h.wallMs,
  };
}

/** Metrics, targets, the herd's round line and notes of one store's results. */
export function reportStore(kind, r, plan) {
  const out = { metrics: {}, targets: [], notes: [], round: undefined };
  out.metrics[`${kind}: seconds per phase`] = Object.entries(r.timings)
    .map(([phase, seconds]) => `${phase} ${seconds.toFixed(1)}`)
    .join(", ");
  refusalLines(kind, "revoke", r.revoke, plan, out);
  refusalLines(kind, "rotate", r.rotate, plan, out);
  out.targets.push(
    target(
      `${kind} rotate: processes refusing a new-key token`,
      r.rotate.newKeyRefusedBy,
      "<=",
      0,
      "processes",
    ),
  );
  steadyLines(kind, r.steady, plan, out);
  graceLines(kind, r.grace, out);
  herdLines(kind, r.herd, plan, out);
  if (r.loadSkipped > 0) {
    out.notes.push(
      `${kind}: ${r.loadSkipped} load requests skipped (too many in flight: the machine is saturated)`,
    );
  }
  return out;
}
