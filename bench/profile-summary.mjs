#!/usr/bin/env node
/**
 * `node bench/profile-summary.mjs <file.cpuprofile> [--top N] [--filter TEXT] [--within TEXT]`:
 * self and total time per function of a `node --cpu-prof` profile, heaviest first. Total
 * time counts each function once per sample even when it recurses. `--within` keeps only
 * the samples with a frame whose label contains TEXT (say `verifyToken`), so shares are of
 * that function's time rather than of the whole run (the baseline case included).
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/run.mjs verify --case ours-nocache
 *   node bench/profile-summary.mjs /tmp/prof/*.cpuprofile --top 25 --within verifyToken
 */
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
// Every option takes a value: the file is the argument neither an option nor after one.
const file = args.find((arg, i) => !arg.startsWith("--") && !args[i - 1]?.startsWith("--"));
const topIndex = args.indexOf("--top");
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 30;
const filterIndex = args.indexOf("--filter");
const filter = filterIndex >= 0 ? args[filterIndex + 1] : undefined;
const withinIndex = args.indexOf("--within");
const within = withinIndex >= 0 ? args[withinIndex + 1] : undefined;
if (!file) {
  process.stderr.write(
    "usage: node bench/profile-summary.mjs <file.cpuprofile> [--top N] [--filter TEXT] [--within TEXT]\n",
  );
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);

const label = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    ? `${url.replace(/^.*\/(node_modules|dist|bench)\//, "$1/")}:${lineNumber + 1}`
    : "";
  return `${functionName || "(anonymous)"} ${where}`.trim();
};

const self = new Map();
const total = new Map();
const counts = new Map();
for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
let samples = 0;
for (const [id, count] of counts) {
  const stack = [];
  for (let at = id; at !== undefined; at = parent.get(at)) stack.push(label(byId.get(at)));
  if (within && !stack.some((name) => name.includes(within))) continue;
  samples += count;
  self.set(stack[0], (self.get(stack[0]) ?? 0) + count);
  for (const name of new Set(stack)) total.set(name, (total.get(name) ?? 0) + count);
}

const pct = (n) => `${((100 * n) / samples).toFixed(1).padStart(5)}%`;
const rows = [...total.keys()]
  .filter((name) => !filter || name.includes(filter))
  .map((name) => ({ name, self: self.get(name) ?? 0, total: total.get(name) ?? 0 }));
const scope = within ? ` with a frame matching '${within}'` : "";
process.stdout.write(`${samples} samples${scope}\n\nby self time\n`);
for (const row of [...rows].sort((a, b) => b.self - a.self).slice(0, top)) {
  process.stdout.write(`  ${pct(row.self)} self ${pct(row.total)} total  ${row.name}\n`);
}
process.stdout.write("\nby total time\n");
for (const row of [...rows].sort((a, b) => b.total - a.total).slice(0, top)) {
  process.stdout.write(`  ${pct(row.total)} total ${pct(row.self)} self  ${row.name}\n`);
}
