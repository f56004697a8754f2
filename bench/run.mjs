#!/usr/bin/env node
/**
 * `node bench/run.mjs [bench ...] [--json] [--duration S] [--rounds N] [--round-ms MS]
 * [--case NAME]`: runs the benches (all by default) against the built package in dist/
 * and prints ops/s with the ratio to each bench's baseline, measured in the same run.
 * `npm run bench` builds first. `--json` prints one JSON document on stdout (progress
 * goes to stderr). See docs/performance.md.
 */
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { loadPackage } from "./lib/fixtures.mjs";
import { DEFAULT_OPTIONS } from "./lib/harness.mjs";

const BENCHES = [
  "verify",
  "provider-overhead",
  "verified-cache",
  "herd",
  "store-checked",
  "http",
  "mint",
  "eddsa-verify",
  "eddsa-cache",
  "eddsa-mint",
  "fleet",
];

/** Names that stand for several benches. */
const GROUPS = { eddsa: ["eddsa-verify", "eddsa-cache", "eddsa-mint"] };

const USAGE = `usage: node bench/run.mjs [${[...BENCHES, ...Object.keys(GROUPS)].join("|")} ...] [options]

  --json           one machine-readable JSON document on stdout
  --duration S     seconds per server in the http bench; the fleet bench's steady-state
                   window is 2 S on Vault and S/2 on SQLite (default ${DEFAULT_OPTIONS.duration})
  --rounds N       interleaved rounds per case (default ${DEFAULT_OPTIONS.rounds})
  --round-ms MS    time per case and round (default ${DEFAULT_OPTIONS.roundMs})
  --warmup-ms MS   warm-up per case (default ${DEFAULT_OPTIONS.warmupMs})
  --case NAME      run only this case (and the baseline): for profiling
  --quick          rounds 3, round-ms 100, duration 2: a smoke run, numbers are rough`;

function parseArgs(argv) {
  const parsed = { benches: [], json: false, options: { ...DEFAULT_OPTIONS }, only: undefined };
  const number = (flag, value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    switch (arg) {
      case "--json":
        parsed.json = true;
        break;
      case "--quick":
        Object.assign(parsed.options, { rounds: 3, roundMs: 100, warmupMs: 100, duration: 2 });
        break;
      case "--duration":
        parsed.options.duration = number(arg, argv[++i]);
        break;
      case "--rounds":
        parsed.options.rounds = Math.floor(number(arg, argv[++i]));
        break;
      case "--round-ms":
        parsed.options.roundMs = number(arg, argv[++i]);
        break;
      case "--warmup-ms":
        parsed.options.warmupMs = number(arg, argv[++i]);
        break;
      case "--case":
        parsed.only = argv[++i];
        break;
      case "-h":
      case "--help":
        parsed.help = true;
        break;
      default:
        if (GROUPS[arg]) parsed.benches.push(...GROUPS[arg]);
        else if (BENCHES.includes(arg)) parsed.benches.push(arg);
        else throw new Error(`unknown bench or option '${arg}'`);
    }
  }
  if (parsed.benches.length === 0) parsed.benches = [...BENCHES];
  return parsed;
}

function machine() {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || nproc;
  } catch {
    // nproc is not everywhere; os.cpus() is close enough.
  }
  return {
    nproc,
    cpu: cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  };
}

const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : String(n);

function printBench(result) {
  const lines = [`\n## ${result.name}: ${result.title}`];
  if (result.cases?.length) {
    const width = Math.max(...result.cases.map((entry) => entry.name.length), 4);
    lines.push(
      `  ${"case".padEnd(width)}  ${"ops/s".padStart(12)}  ${"ratio".padStart(7)}  ${"cpu".padStart(7)}  ${"spread (min..max)".padStart(22)}`,
    );
    for (const entry of result.cases) {
      const ratio = entry.ratio === undefined ? "" : `${fmt(entry.ratio, 2)}x`;
      const cpu = entry.cpuRatio === undefined ? "" : `${fmt(entry.cpuRatio, 2)}x`;
      const spread = entry.min === undefined ? "" : `${fmt(entry.min)}..${fmt(entry.max)}`;
      lines.push(
        `  ${entry.name.padEnd(width)}  ${fmt(entry.opsPerSec).padStart(12)}  ${ratio.padStart(7)}  ${cpu.padStart(7)}  ${spread.padStart(22)}`,
      );
    }
    if (result.baseline) {
      lines.push(
        `  (ratio: median of per-round ops/s ratios to '${result.baseline}', same run;` +
          " cpu: the same per CPU second of the process)",
      );
    }
  }
  for (const round of result.rounds ?? []) {
    lines.push(
      `  ${round.label.padEnd(12)}  store reads ${round.storeReads}  failures ${round.failures}` +
        `  p50 ${fmt(round.p50Ms, 1)} ms  p99 ${fmt(round.p99Ms, 1)} ms  max ${fmt(round.maxMs, 1)} ms` +
        `  all settled in ${fmt(round.wallMs, 1)} ms`,
    );
  }
  for (const [key, value] of Object.entries(result.metrics ?? {})) {
    lines.push(`  ${key}: ${typeof value === "number" ? fmt(value, 2) : String(value)}`);
  }
  for (const t of result.targets ?? []) {
    const value = t.unit === "x" ? `${fmt(t.value, 2)}x` : `${fmt(t.value, 2)} ${t.unit}`;
    const limit = t.unit === "x" ? `${t.limit}x` : `${t.limit} ${t.unit}`;
    lines.push(
      `  target ${t.name}: ${value} ${t.comparator} ${limit}  ${t.met ? "MET" : "MISSED"}`,
    );
  }
  for (const note of result.notes ?? []) lines.push(`  note: ${note}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { lib, testing } = await loadPackage();
  const info = machine();
  if (!args.json) {
    process.stdout.write(
      `gofr-auth bench: ${info.nproc} cpus (${info.cpu}), node ${info.node}, ${info.date}\n`,
    );
  }
  const report = { machine: info, options: args.options, benches: {} };
  const started = performance.now();
  for (const benchName of args.benches) {
    const bench = await import(`./${benchName}.mjs`);
    process.stderr.write(`bench ${benchName} ...\n`);
    const t0 = performance.now();
    const result = await bench.run({ lib, testing, options: args.options, only: args.only });
    const full = {
      name: benchName,
      title: bench.title,
      seconds: (performance.now() - t0) / 1000,
      ...result,
    };
    report.benches[benchName] = full;
    if (!args.json) printBench(full);
  }
  report.seconds = (performance.now() - started) / 1000;
  const targets = Object.values(report.benches).flatMap((bench) =>
    (bench.targets ?? []).map((t) => ({ bench: bench.name, ...t })),
  );
  report.summary = {
    targets: targets.length,
    met: targets.filter((t) => t.met).length,
    missed: targets.filter((t) => !t.met).map((t) => `${t.bench}: ${t.name}`),
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(
      `\n${report.summary.met}/${report.summary.targets} targets met in ${fmt(report.seconds, 1)} s` +
        `${report.summary.missed.length ? `; missed: ${report.summary.missed.join("; ")}` : ""}\n`,
    );
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
