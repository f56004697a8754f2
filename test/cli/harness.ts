import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/program.js";
import type { Clock } from "../../src/clock.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process against its own embedded store in a temp folder. */
export function cliHarness(extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gofr-cli-"));
  const env: NodeJS.ProcessEnv = { GOFR_AUTH_STORE: join(dir, "auth.db"), ...extraEnv };
  const run = async (args: string[], options: { clock?: Clock } = {}): Promise<CliRun> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, {
      env,
      clock: options.clock,
      io: { stdout: (text) => out.push(text), stderr: (text) => err.push(text) },
    });
    return { code, stdout: out.join(""), stderr: err.join("") };
  };
  return { dir, env, run, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
