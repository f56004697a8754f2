/**
 * Real processes for the fleet bench: the reference web service (examples/build, as built by
 * `npm run bench`) started N times on one store, and the operator CLI (dist/cli/main.js) run
 * as a child process. Only the variables given reach a child: nothing from the shell leaks in.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { repoPath } from "./fixtures.mjs";

const WEB_MAIN = "examples/build/examples/web/main.js";
const CLI_MAIN = "dist/cli/main.js";
const LISTENING = /listening on (http:\/\/\S+)/;
/** Lines of a child's stderr kept for a failure message (its JSON log lines). */
const TAIL_LINES = 30;

/** `PATH` and `HOME` plus `vars`. */
export function cleanEnv(vars) {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...vars };
}

/** Epoch milliseconds with sub-millisecond resolution (comparable with the double's log). */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

function keepTail(stream, tail) {
  let partial = "";
  stream.on("data", (chunk) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    tail.push(...lines);
    if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
  });
}

/**
 * Starts one web service on 127.0.0.1, an ephemeral port; resolves once it printed its
 * "listening on" line (auth start-up, including the first secret read, is done by then).
 */
export async function startService(label, env, { timeoutMs = 60_000 } = {}) {
  const main = repoPath(WEB_MAIN);
  if (!existsSync(main)) {
    throw new Error(`bench: ${WEB_MAIN} is missing; run \`npx tsc -p examples/tsconfig.json\``);
  }
  const child = spawn(process.execPath, [main, "--host", "127.0.0.1", "--port", "0"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr = [];
  keepTail(child.stderr, stderr);
  const exited = once(child, "exit");
  const url = await new Promise((resolve, reject) => {
    let out = "";
    let listening = false;
    const timer = setTimeout(() => fail("did not start in time"), timeoutMs);
    function fail(why) {
      if (listening) return;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${label} ${why}:\n${stderr.join("\n")}`));
    }
    child.stdout.on("data", (chunk) => {
      out += chunk.toString();
      const match = out.match(LISTENING);
      if (match && !listening) {
        listening = true;
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    exited.then(([code]) => fail(`exited (${code}) before listening`));
  });
  child.stdout.resume();
  return {
    label,
    url,
    pid: child.pid,
    stderrTail: () => stderr.join("\n"),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `count` services at once; stops the started ones if any fails. */
export async function startFleet(count, envFor, label = "web") {
  const settled = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => startService(`${label}-${i}`, envFor(i))),
  );
  const started = settled.filter((s) => s.status === "fulfilled").map((s) => s.value);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) {
    await stopFleet(started);
    throw failed.reason;
  }
  return started;
}

export async function stopFleet(services) {
  await Promise.all(services.map((service) => service.stop()));
}

/**
 * Runs `node dist/cli/main.js ...args` as an operator does. Resolves with the exit code,
 * output, and the times (epoch ms) the child was spawned and its exit was seen.
 */
export async function runCli(args, env) {
  const startedAt = nowMs();
  const child = spawn(process.execPath, [repoPath(CLI_MAIN), ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk.toString();
  });
  const [code] = await once(child, "exit");
  const exitedAt = nowMs();
  return { code, stdout, stderr, startedAt, exitedAt };
}

/** `runCli` that throws (with the CLI's stderr, never a token) unless it exits 0. */
export async function cli(args, env) {
  const result = await runCli(args, env);
  if (result.code !== 0) {
    throw new Error(
      `gofr-auth ${args[0]} ${args[1] ?? ""} exited ${result.code}: ${result.stderr}`,
    );
  }
  return result;
}
