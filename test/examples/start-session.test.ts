/**
 * Issue 17 item 7: each `npm start` prints an admin token for its session; it is named
 * (so `tokens list` tells it apart) and revoked when the main job stops, so restarts do not
 * pile up valid admin tokens nobody holds any more.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { start } from "../../examples/start.js";
import { runCli } from "../../src/cli/program.js";
import { silentLogger } from "../../src/log.js";

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gofr-start-session-"));
  env = { GOFR_AUTH_STORE: join(dir, "auth.db") };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function records(): Promise<Array<{ id: string; name: string; status: string }>> {
  let out = "";
  const code = await runCli(["--json", "tokens", "list"], {
    env,
    io: { stdout: (text) => (out += text), stderr: () => {} },
  });
  expect(code).toBe(0);
  return JSON.parse(out);
}

/** Starts the main job; resolves to its printed output so far and how to stop it. */
async function startJob() {
  const printed = { text: "" };
  const result = await start(["--web-port", "0", "--mcp-port", "0"], {
    env,
    logger: silentLogger,
    stdout: (text) => {
      printed.text += text;
    },
  });
  if (result.kind !== "running") throw new Error("expected running");
  const sessionId = /Admin token for this session \(id ([0-9a-f-]{36})/.exec(printed.text)?.[1];
  return { printed, sessionId, stop: () => result.close() };
}

describe("npm start: the session's admin token", () => {
  it("is named, active while the job runs, and revoked when it stops", async () => {
    const { printed, sessionId, stop } = await startJob();
    const running = (await records()).find((record) => record.id === sessionId);
    expect(running).toMatchObject({ status: "active" });
    expect(running?.name).toMatch(/^npm-start-session-[0-9a-f]{8}$/);
    expect(printed.text).toContain("It is revoked when this stops");

    await stop();
    expect((await records()).find((record) => record.id === sessionId)?.status).toBe("revoked");
    expect(printed.text).toContain(
      "Stopped: both services closed, session token revoked, store closed.",
    );
  });

  it("restarts leave one active admin token: the long-lived init-admin", async () => {
    for (const _run of [1, 2, 3]) await (await startJob()).stop();
    const all = await records();
    expect(all).toHaveLength(4); // init-admin and three sessions
    expect(all.filter((record) => record.status === "active").map((record) => record.name)).toEqual(
      ["init-admin"],
    );
  });
});
