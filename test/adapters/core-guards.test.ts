/**
 * The framework-free core every adapter wraps, at its failure edges: set-up mistakes fail
 * at start-up (never an open route), a verifier or audit hook that misbehaves never turns
 * into an accepted request or a crash, and nothing about the token reaches a log or a body.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createCoreAuthenticator } from "../../src/adapters/shared/authenticator.js";
import type { AuthEvent, TokenVerifier } from "../../src/adapters/shared/options.js";
import { toAuthResponse } from "../../src/adapters/shared/response.js";
import { writeNodeResponse } from "../../src/adapters/shared/write-node.js";
import { AuthContext } from "../../src/auth-context.js";
import { AuthError } from "../../src/errors.js";
import { captureLogger } from "../support/capture-logger.js";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZy1lbm91Z2g";

function context(groups: string[]): AuthContext {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return new AuthContext({ jti: "t-1", groups, exp, aud: "gofr-api" });
}

const accepting = (groups: string[]): TokenVerifier => ({
  verifyToken: async () => context(groups),
});

describe("adapter set-up mistakes fail at start-up", () => {
  it("no verifier is a TypeError, not a route without auth", () => {
    for (const options of [undefined, {}, { auth: {} }, { auth: { verifyToken: "yes" } }]) {
      expect(() => createCoreAuthenticator(options as never)).toThrow(TypeError);
    }
  });

  it.each([-1, 1.5, "5", Number.NaN])("retryAfterSeconds %s is refused", (retryAfterSeconds) => {
    expect(() =>
      createCoreAuthenticator({ auth: accepting([]), retryAfterSeconds } as never),
    ).toThrow(/retryAfterSeconds/);
  });

  it("an empty or non-string group name in a requirement is refused", () => {
    for (const groups of [[""], [5], ["admin", ""]]) {
      expect(() => createCoreAuthenticator({ auth: accepting([]), groups } as never)).toThrow(
        expect.objectContaining({ code: "invalid_input" }),
      );
    }
  });
});

describe("a misbehaving verifier", () => {
  it("one that throws synchronously is a 500 with no detail, logged without the token", async () => {
    const logger = captureLogger();
    const core = createCoreAuthenticator({
      auth: {
        verifyToken: () => {
          throw new Error(`parser choked on ${TOKEN}`);
        },
      },
      logger,
    });
    const result = await core.guard(`Bearer ${TOKEN}`, { method: "GET", path: "/x" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(500);
    expect(result.response.body).toEqual({
      error: "Internal server error",
      code: "internal_error",
    });
    const logged = JSON.stringify(logger.entries);
    expect(logged).not.toContain(TOKEN);
    expect(logged).toContain("[token]");
  });

  it("an AuthError outside the request categories (a config error) is a 500, not a 401", async () => {
    const core = createCoreAuthenticator({
      auth: {
        verifyToken: async () => {
          throw new AuthError("config_invalid", "no signing secret configured");
        },
      },
    });
    const result = await core.guard(`Bearer ${TOKEN}`);
    expect(result.ok ? undefined : result.response.status).toBe(500);
  });

  it("a store outage is 503 with Retry-After, or 500 where the framework needs it", async () => {
    const outage = {
      verifyToken: async () => {
        throw new AuthError("store_unavailable", "Vault at 10.0.0.5 is down");
      },
    };
    const logger = captureLogger();
    const core = createCoreAuthenticator({ auth: outage, logger, retryAfterSeconds: 9 });
    const result = await core.guard(`Bearer ${TOKEN}`);
    if (result.ok) throw new Error("expected a refusal");
    expect(result.response.status).toBe(503);
    expect(result.response.headers["retry-after"]).toBe("9");
    expect(result.response.body.error).not.toContain("10.0.0.5"); // internal hosts stay in logs
    expect(logger.entries.some((entry) => String(entry.fields.error).includes("10.0.0.5"))).toBe(
      true,
    );
    const mcp = createCoreAuthenticator({ auth: outage }, { unavailableStatus: 500 });
    const refused = await mcp.guard(`Bearer ${TOKEN}`);
    expect(refused.ok ? undefined : refused.response.status).toBe(500);
  });
});

describe("audit hooks and per-route policies", () => {
  it("an audit hook that throws changes no answer and is logged", async () => {
    const logger = captureLogger();
    const core = createCoreAuthenticator({
      auth: accepting(["admin"]),
      logger,
      audit: () => {
        throw new Error("metrics backend down");
      },
    });
    expect((await core.guard(`Bearer ${TOKEN}`)).ok).toBe(true);
    const refused = await core.guard("Basic abc");
    expect(refused.ok ? undefined : refused.response.status).toBe(401);
    expect(logger.entries.filter((entry) => /audit hook threw/.test(entry.message))).toHaveLength(
      2,
    );
  });

  it("a route may be optional or stricter than the adapter", async () => {
    const events: AuthEvent[] = [];
    const core = createCoreAuthenticator({
      auth: accepting(["billing"]),
      audit: (event) => events.push(event),
    });
    const optional = { optional: true };
    expect(await core.guard(undefined, {}, optional)).toEqual({ ok: true, context: null });
    expect(events.at(-1)?.outcome).toBe("anonymous");
    expect(await core.authenticate(undefined, optional)).toBeNull();
    // A present but bad header is still refused on an optional route.
    expect((await core.guard("Bearer", {}, optional)).ok).toBe(false);

    const strict = { requirement: { ...core.requirement } };
    const adminOnly = createCoreAuthenticator({ auth: accepting([]), groups: ["admin"] });
    const denied = await core.guard(`Bearer ${TOKEN}`, {}, { requirement: adminOnly.requirement });
    expect(denied.ok ? undefined : denied.response.status).toBe(403);
    await expect(
      core.authenticate(`Bearer ${TOKEN}`, { requirement: adminOnly.requirement }),
    ).rejects.toMatchObject({ code: "insufficient_groups" });
    expect((await core.guard(`Bearer ${TOKEN}`, {}, strict)).ok).toBe(true);
  });
});

describe("refusal bodies", () => {
  it("a 403 message is bounded in length and safe for a header", () => {
    const long = `This endpoint requires all of [${"g".repeat(400)}] "quoted"\r\n`;
    const response = toAuthResponse(new AuthError("insufficient_groups", long));
    expect(response.status).toBe(403);
    expect(response.body.error.length).toBeLessThanOrEqual(300);
    expect(response.body.error.endsWith("...")).toBe(true);
    expect(response.headers["www-authenticate"]).not.toMatch(/[\r\n]/);
  });

  it("writing a refusal after the headers went out closes the connection instead", async () => {
    let destroyed: boolean | undefined;
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
      writeNodeResponse(res, toAuthResponse(new AuthError("token_invalid", "bad")));
      destroyed = res.destroyed;
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      // The client never gets a complete answer it could take for a normal one.
      const outcome = await fetch(`http://127.0.0.1:${port}/`)
        .then((response) => response.text())
        .then(
          () => "complete",
          () => "cut off",
        );
      expect(outcome).toBe("cut off");
      expect(destroyed).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
