/**
 * Real processes for end-to-end tests: the reference web service started from its sources
 * (through vite-node, see web-service-main.ts) and the built `gofr-auth` CLI (dist/, built
 * by build-once.ts), each given only the variables passed, nothing from the developer's shell.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT, VITE_NODE } from "./json-line-process.js";

const execFileAsync = promisify(execFile);
const WEB_MAIN = join(ROOT, "test", "support", "web-service-main.ts");
const CLI = join(ROOT, "dist", "cli", "main.js");
const LISTENING = /listening on (http:\/\/\S+)/;

/** `PATH` and `HOME` plus `vars`. */
export function cleanEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...vars };
}

export interface ServiceProcess {
  name: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** What it logged on stderr so far (JSON lines), for failure messages. */
  stderr(): string;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess, exited: Promise<unknown>): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
}

/**
 * Starts the web service on 127.0.0.1 (an ephemeral port) and resolves once it printed its
 * "listening on" line: auth start-up, including the first secret read, is done by then.
 */
export async function startWebService(
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    [VITE_NODE, WEB_MAIN, "--", "--host", "127.0.0.1", "--port", "0"],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, "exit");
  const stop = stopper(child, exited);
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = stdout.match(LISTENING);
      if (match) resolve(match[1] as string);
    });
    exited.then(([code]) => reject(new Error(`${name} exited (${code}) early:\n${stderr}`)));
  });
  return { name, url, stderr: () => stderr, stop };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node dist/cli/main.js ...args`, as an operator runs it. */
export async function gofrAuth(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
