/**
 * The adapter core's side of a refusal that only operators see: the set-up error that names
 * what is missing, the log line each kind of refusal writes (level, message, fields), the
 * warning for an audit hook that throws, and what counts as "no header" in optional mode.
 */
import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { requireAuth } from "../../src/adapters/node.js";
import { createCoreAuthenticator } from "../../src/adapters/shared/authenticator.js";
import type { AuthEvent, TokenVerifier } from "../../src/adapters/shared/options.js";
import { AuthContext } from "../../src/auth-context.js";
import { AuthError } from "../../src/errors.js";
import { captureLogger } from "../support/capture-logger.js";
import { listen } from "./support/listen.js";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZy1lbm91Z2g";

const accepting: TokenVerifier = {
  verifyToken: async () =>
    new AuthContext({
      jti: "t-1",
      groups: [],
      exp: Math.floor(Date.now() / 1000) + 3600,
      aud: "api",
    }),
};

function thrownBy(build: () => unknown): unknown {
  try {
    build();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("set-up without a verifier", () => {
  it("is a TypeError saying what the adapter needs", () => {
    for (const options of [undefined, {}, { auth: {} }, { auth: { verifyToken: "yes" } }]) {
      const error = thrownBy(() => createCoreAuthenticator(options as never));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(
        "gofr-auth adapters need { auth }: an AuthService or { verifyToken }",
      );
    }
  });
});

describe("refusals in the server log", () => {
  it("each kind is logged once, at its level, with status, code, request and reason", async () => {
    const logger = captureLogger();
    const errors: Record<string, unknown> = {
      "/expired": new AuthError("token_expired", "Token t-9 expired at 12:00", {
        details: { token_id: "t-9" },
      }),
      "/outage": new AuthError("store_unavailable", "Vault at 10.0.0.5 is down"),
      "/crash": new Error("parser choked"),
    };
    let path = "";
    const running = await listen(
      createServer(
        requireAuth(
          {
            auth: {
              verifyToken: async () => {
                throw errors[path];
              },
            },
            logger,
          },
          (_req, res) => {
            res.end("ok");
          },
        ),
      ),
    );
    try {
      for (path of Object.keys(errors)) {
        await fetch(`${running.url}${path}?q=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
      }
    } finally {
      await running.close();
    }
    const request = { method: "GET" };
    expect(logger.entries).toEqual([
      {
        level: "info",
        message: "Request refused",
        fields: {
          ...request,
          path: "/expired",
          status: 401,
          code: "token_expired",
          token_id: "t-9",
          error: "Token t-9 expired at 12:00",
        },
      },
      {
        level: "error",
        message: "Authentication unavailable: the secret or token store failed",
        fields: {
          ...request,
          path: "/outage",
          status: 503,
          code: "store_unavailable",
          token_id: undefined,
          error: "Vault at 10.0.0.5 is down",
        },
      },
      {
        level: "error",
        message: "Authentication failed unexpectedly",
        fields: {
          ...request,
          path: "/crash",
          status: 500,
          code: "internal_error",
          token_id: undefined,
          error: "Error: parser choked",
        },
      },
    ]);
  });

  it("a 403 is logged as a refusal, not as an outage", async () => {
    const logger = captureLogger();
    const core = createCoreAuthenticator({ auth: accepting, logger, groups: ["admin"] });
    await core.guard(`Bearer ${TOKEN}`, { method: "POST", path: "/admin" });
    expect(logger.entries.map(({ level, message }) => ({ level, message }))).toEqual([
      { level: "info", message: "Request refused" },
    ]);
  });

  it("an audit hook that throws is a warning naming the hook's error", async () => {
    const logger = captureLogger();
    const core = createCoreAuthenticator({
      auth: accepting,
      logger,
      audit: () => {
        throw new Error("metrics backend down");
      },
    });
    expect((await core.guard(`Bearer ${TOKEN}`)).ok).toBe(true);
    expect(logger.entries).toEqual([
      {
        level: "warn",
        message: "Auth audit hook threw",
        fields: { error: "Error: metrics backend down" },
      },
    ]);
  });
});

describe("optional mode", () => {
  it("an empty header, or an empty list of headers, is no header: anonymous", async () => {
    const events: AuthEvent[] = [];
    const core = createCoreAuthenticator({
      auth: accepting,
      optional: true,
      audit: (event) => events.push(event),
    });
    for (const header of ["", []]) {
      expect(await core.guard(header)).toEqual({ ok: true, context: null });
      expect(await core.authenticate(header)).toBeNull();
    }
    expect(events).toEqual([{ outcome: "anonymous" }, { outcome: "anonymous" }]);
  });
});
