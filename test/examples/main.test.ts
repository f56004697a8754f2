/**
 * The services' `main()`: flags, start-up through the real config module, the printed URL,
 * and closing. In-process, on ephemeral ports; the embedded store lives in a temp dir.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as mcpMain } from "../../examples/mcp/main.js";
import type { MainResult } from "../../examples/shared/main.js";
import { NO_AUTH_WARNING } from "../../examples/shared/startup.js";
import { main as webMain } from "../../examples/web/main.js";
import { runCli } from "../../src/cli/program.js";
import { captureLogger } from "../support/capture-logger.js";

function capture() {
  const out: string[] = [];
  return { out, write: (text: string) => out.push(text) };
}

function running(result: MainResult) {
  if (result.kind !== "running")
    throw new Error(`expected a running service, got exit ${result.code}`);
  return result;
}

describe.each([
  { name: "web", main: webMain, program: "gofr-web" },
  { name: "mcp", main: mcpMain, program: "gofr-mcp" },
])("$name main()", ({ main, program }) => {
  it("--no-auth starts without any store, warns loudly and prints the URL", async () => {
    const stdout = capture();
    const logger = captureLogger();
    const service = running(
      await main(["--no-auth", "--port", "0"], { env: {}, logger, stdout: stdout.write }),
    );
    try {
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(stdout.out.join("")).toContain(`${program} listening on ${service.url} (auth OFF)`);
      expect(logger.entries).toContainEqual(
        expect.objectContaining({ level: "warn", message: NO_AUTH_WARNING }),
      );
      expect((await fetch(`${service.url}/health`)).status).toBe(200);
    } finally {
      await service.close();
    }
    await expect(fetch(`${service.url}/health`)).rejects.toThrow();
  });

  it("<PREFIX>_NO_AUTH=1 turns auth off through the config module", async () => {
    const logger = captureLogger();
    const service = running(
      await main(["--port", "0", "--env-prefix", "GOFR_DEMO"], {
        env: { GOFR_DEMO_NO_AUTH: "1" },
        logger,
        stdout: () => {},
      }),
    );
    try {
      expect(logger.entries.some((e) => e.level === "warn" && /DISABLED/.test(e.message))).toBe(
        true,
      );
      expect((await fetch(`${service.url}/health`)).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  it("--help exits 0 and a bad --port exits 2, without starting anything", async () => {
    const out = capture();
    expect(await main(["--help"], { stdout: out.write, stderr: out.write })).toEqual({
      kind: "exit",
      code: 0,
    });
    expect(out.out.join("")).toContain("--no-auth");
    expect(await main(["--port", "http"], { stdout: out.write, stderr: out.write })).toEqual({
      kind: "exit",
      code: 2,
    });
  });
});

describe("web main() against the embedded store", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let adminToken: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gofr-web-"));
    env = { GOFR_AUTH_STORE: join(dir, "auth.db") };
    const quiet = { stdout: () => {}, stderr: () => {} };
    expect(await runCli(["init"], { env, io: quiet })).toBe(0);
    const out = capture();
    const code = await runCli(
      ["--json", "tokens", "create", "--groups", "admin", "--name", "e2e"],
      {
        env,
        io: { stdout: out.write, stderr: () => {} },
      },
    );
    expect(code).toBe(0);
    adminToken = JSON.parse(out.out.join("")).token;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("verifies a token minted by the operator CLI", async () => {
    const stdout = capture();
    const service = running(
      await webMain(["--port", "0"], { env, logger: captureLogger(), stdout: stdout.write }),
    );
    try {
      expect(stdout.out.join("")).toMatch(/auth on: sqlite /);
      const who = await fetch(`${service.url}/whoami`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(who.status).toBe(200);
      expect(await who.json()).toMatchObject({ authenticated: true, subject: "e2e" });
      const ping = await fetch(`${service.url}/admin/ping`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(ping.status).toBe(200);
      expect((await fetch(`${service.url}/ready`)).status).toBe(200);
      expect((await fetch(`${service.url}/whoami`)).status).toBe(401);
    } finally {
      await service.close();
    }
  });
});

describe("mcp main() --allowed-hosts", () => {
  /** GET /health with a chosen Host header (fetch does not let a caller set Host). */
  function healthWithHost(url: string, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${url}/health`, { headers: { host } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
      request.end();
    });
  }

  it("answers only the named hosts, even when bound to every interface", async () => {
    const service = running(
      await mcpMain(
        ["--no-auth", "--host", "0.0.0.0", "--port", "0", "--allowed-hosts", "mcp, localhost"],
        { env: {}, logger: captureLogger(), stdout: () => {} },
      ),
    );
    const url = service.url.replace("0.0.0.0", "127.0.0.1");
    try {
      expect(await healthWithHost(url, "mcp:8081")).toBe(200);
      expect(await healthWithHost(url, "localhost")).toBe(200);
      expect(await healthWithHost(url, "rebound.attacker.example")).toBe(403);
    } finally {
      await service.close();
    }
  });
});
