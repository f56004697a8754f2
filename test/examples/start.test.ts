/**
 * `npm start` smoke test, as a newcomer runs it: spawn the real script (it compiles the
 * examples, bootstraps an embedded store, starts both services), wait for the ready line,
 * use the printed token, then Ctrl-C the whole process group and check everything stopped.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const READY_LINE = "gofr-auth is ready";

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<unknown>;
}

/** Spawns `npm start` in its own process group and resolves once the ready line is printed. */
async function startMainJob(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn("npm", ["start", "--", "--web-port", "0", "--mcp-port", "0"], {
    cwd: process.cwd(),
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = once(child, "exit");
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(READY_LINE)) resolve();
    });
    exited.then(() => reject(new Error(`npm start exited before it was ready:\n${out}\n${err}`)));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The token printed under "Admin token for this session". */
function sessionToken(stdout: string): string {
  const lines = stdout.split("\n");
  const at = lines.findIndex((line) => line.startsWith("Admin token for this session"));
  const token = lines.slice(at + 1).find((line) => line.trim() !== "");
  if (at < 0 || !token) throw new Error(`no session token in:\n${stdout}`);
  return token.trim();
}

describe("npm start (the main job)", () => {
  let dir: string;
  let started: Started;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gofr-start-"));
    const env: NodeJS.ProcessEnv = { ...process.env, GOFR_AUTH_STORE: join(dir, "auth.db") };
    for (const name of Object.keys(env)) {
      if (name.startsWith("GOFR_") && name !== "GOFR_AUTH_STORE") delete env[name];
    }
    started = await startMainJob(env);
  }, 180_000);

  afterAll(async () => {
    if (
      started?.child.exitCode === null &&
      started.child.signalCode === null &&
      started.child.pid
    ) {
      process.kill(-started.child.pid, "SIGKILL");
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("prints both URLs, a token that /whoami accepts as admin, and stops cleanly on Ctrl-C", async () => {
    const out = started.stdout();
    const webUrl = out.match(/web API\s+(http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    const mcpUrl = out.match(/MCP\s+(http:\/\/127\.0\.0\.1:\d+)\/mcp/)?.[1];
    expect(webUrl, out).toBeDefined();
    expect(mcpUrl, out).toBeDefined();
    const token = sessionToken(out);
    expect(out).toContain(`curl -H "Authorization: Bearer ${token}" ${webUrl}/whoami`);

    const whoami = await fetch(`${webUrl}/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(whoami.status).toBe(200);
    expect(await whoami.json()).toMatchObject({ authenticated: true, groups: ["admin", "public"] });
    expect((await fetch(`${webUrl}/whoami`)).status).toBe(401);
    expect((await fetch(`${mcpUrl}/health`)).status).toBe(200);

    // Ctrl-C in a terminal signals the whole foreground process group.
    process.kill(-(started.child.pid as number), "SIGINT");
    await started.exited;
    expect(started.stdout()).toContain(
      "Stopped: both services closed, session token revoked, store closed.",
    );
    await expect(fetch(`${webUrl}/health`)).rejects.toThrow();
    await expect(fetch(`${mcpUrl}/health`)).rejects.toThrow();
    expect(started.stderr()).not.toContain(token);
  }, 60_000);
});
