/**
 * The main job's failure paths, in-process: a busy port fails before anything is written,
 * and a second start on the same store prints no new long-lived token.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { start } from "../../examples/start.js";
import { runCli } from "../../src/cli/program.js";
import { silentLogger } from "../../src/log.js";

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gofr-start-"));
  env = { GOFR_AUTH_STORE: join(dir, "auth.db") };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tokenCount(): Promise<number> {
  let out = "";
  const code = await runCli(["--json", "tokens", "list"], {
    env,
    io: { stdout: (text) => (out += text), stderr: () => {} },
  });
  expect(code).toBe(0);
  return JSON.parse(out).length;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

describe("npm start, in-process", () => {
  it("a busy web port fails with a hint before any token is created", async () => {
    const busy = createServer();
    const port = await listen(busy);
    try {
      const failure = await start(["--web-port", String(port), "--mcp-port", "0"], {
        env,
        logger: silentLogger,
        stdout: () => {},
      }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: "config_invalid" });
      expect(String((failure as Error).message)).toContain("--web-port 0");
    } finally {
      busy.close();
    }
    expect(await tokenCount()).toBe(0);
  });

  it("a second start prints only a new session token, not another long-lived one", async () => {
    const outputs: string[] = [];
    for (const _run of [1, 2]) {
      let out = "";
      const result = await start(["--web-port", "0", "--mcp-port", "0"], {
        env,
        logger: silentLogger,
        stdout: (text) => (out += text),
      });
      if (result.kind !== "running") throw new Error("expected running");
      await result.close();
      outputs.push(out);
    }
    const tokensIn = (text: string) => text.match(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/gm) ?? [];
    expect(tokensIn(outputs[0] as string)).toHaveLength(2);
    expect(tokensIn(outputs[1] as string)).toHaveLength(1);
    expect(outputs[1]).toContain("store already initialised");
    // init-admin plus one session token per start.
    expect(await tokenCount()).toBe(3);
  });
});
