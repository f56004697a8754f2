import { createServer, type IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createAuthFetch, requireAuth } from "../../src/adapters/node.js";
import { AuthError, isAuthError } from "../../src/errors.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { createTestAuthService } from "../../src/testing/index.js";
import { listen, type RunningServer } from "./support/listen.js";

interface Seen {
  authorization: string | undefined;
  body: string;
}

type Refusal = { status: number; headers: Record<string, string>; body: string };

const rotated: Refusal = {
  status: 401,
  headers: {
    "content-type": "application/json",
    "www-authenticate": 'Bearer error="invalid_token", error_description="superseded key"',
  },
  body: JSON.stringify({
    error: "The token was signed with key version 1, superseded by version 2",
    code: "token_invalid",
  }),
};

/** A server that accepts only `Bearer <accepted>` and answers anything else with `refusal`. */
async function server(accepted: string, refusal: Refusal) {
  const seen: Seen[] = [];
  const running = await listen(
    createServer(async (req: IncomingMessage, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      seen.push({ authorization: req.headers.authorization, body });
      if (req.headers.authorization === `Bearer ${accepted}`) {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ ok: true, body }));
        return;
      }
      res.writeHead(refusal.status, refusal.headers).end(refusal.body);
    }),
  );
  return { ...running, seen };
}

/** A token source that hands out `tokens` in order, one per forced refresh. */
function rotatingSource(tokens: string[]) {
  let index = 0;
  const calls: boolean[] = [];
  const source = async ({ forceRefresh }: { forceRefresh: boolean }) => {
    calls.push(forceRefresh);
    if (forceRefresh) index = Math.min(index + 1, tokens.length - 1);
    return tokens[index] as string;
  };
  return { source, calls };
}

describe("createAuthFetch", () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("sends the bearer header from a fixed token", async () => {
    const s = await server("tok-1", rotated);
    running = s;
    const authFetch = createAuthFetch({ tokenSource: "tok-1", allowedOrigins: [s.url] });
    const response = await authFetch(`${s.url}/x`, { headers: { "x-other": "1" } });
    expect(response.status).toBe(200);
    expect(s.seen).toEqual([{ authorization: "Bearer tok-1", body: "" }]);
  });

  it("after a rotation 401, refreshes once and retries once, resending the body", async () => {
    const s = await server("new-token", rotated);
    running = s;
    const { source, calls } = rotatingSource(["old-token", "new-token"]);
    const authFetch = createAuthFetch({ tokenSource: source, allowedOrigins: [s.url] });
    const response = await authFetch(`${s.url}/x`, { method: "POST", body: "payload" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, body: "payload" });
    expect(calls).toEqual([false, true]);
    expect(s.seen).toEqual([
      { authorization: "Bearer old-token", body: "payload" },
      { authorization: "Bearer new-token", body: "payload" },
    ]);
  });

  it("does not loop: a server that keeps refusing gets exactly one retry", async () => {
    const s = await server("never", rotated);
    running = s;
    const { source, calls } = rotatingSource(["a", "b", "c", "d"]);
    const authFetch = createAuthFetch({ tokenSource: source, allowedOrigins: [s.url] });
    const response = await authFetch(`${s.url}/x`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "token_invalid" });
    expect(calls).toEqual([false, true]);
    expect(s.seen.map((r) => r.authorization)).toEqual(["Bearer a", "Bearer b"]);
  });

  it("does not retry what a new token cannot fix (revoked)", async () => {
    const s = await server("new", {
      ...rotated,
      body: JSON.stringify({ error: "revoked", code: "token_revoked" }),
    });
    running = s;
    const { source, calls } = rotatingSource(["old", "new"]);
    const response = await createAuthFetch({ tokenSource: source, allowedOrigins: [s.url] })(
      `${s.url}/x`,
    );
    expect(response.status).toBe(401);
    expect(calls).toEqual([false]);
    expect(s.seen).toHaveLength(1);
  });

  it("does not retry a 403 or a 503", async () => {
    for (const status of [403, 503]) {
      const s = await server("new", { ...rotated, status });
      const { source, calls } = rotatingSource(["old", "new"]);
      const response = await createAuthFetch({ tokenSource: source, allowedOrigins: [s.url] })(
        `${s.url}/x`,
      );
      expect(response.status).toBe(status);
      expect(calls).toEqual([false]);
      await s.close();
    }
  });

  it("retries a non-JSON 401 whose challenge says invalid_token", async () => {
    const s = await server("new", {
      status: 401,
      headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      body: "nope",
    });
    running = s;
    const { source, calls } = rotatingSource(["old", "new"]);
    const response = await createAuthFetch({ tokenSource: source, allowedOrigins: [s.url] })(
      `${s.url}/x`,
    );
    expect(response.status).toBe(200);
    expect(calls).toEqual([false, true]);
  });

  it("cannot refresh a fixed string token: the 401 is returned as is", async () => {
    const s = await server("new", rotated);
    running = s;
    const response = await createAuthFetch({ tokenSource: "old", allowedOrigins: [s.url] })(
      `${s.url}/x`,
    );
    expect(response.status).toBe(401);
    expect(s.seen).toHaveLength(1);
  });

  it("returns the first 401 when the refresh itself fails", async () => {
    const s = await server("new", rotated);
    running = s;
    const authFetch = createAuthFetch({
      allowedOrigins: [s.url],
      tokenSource: async ({ forceRefresh }) => {
        if (forceRefresh) throw new Error("minting service down");
        return "old";
      },
    });
    const response = await authFetch(`${s.url}/x`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "token_invalid" });
    expect(s.seen).toHaveLength(1);
  });

  it("replaces an Authorization header the caller set", async () => {
    const s = await server("mine", rotated);
    running = s;
    const response = await createAuthFetch({ tokenSource: "mine", allowedOrigins: [s.url] })(
      new Request(`${s.url}/x`, { headers: { authorization: "Bearer theirs" } }),
    );
    expect(response.status).toBe(200);
    expect(s.seen[0]?.authorization).toBe("Bearer mine");
  });
});

describe("createAuthFetch: where the token may go", () => {
  const open: RunningServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((running) => running.close()));
  });
  const started = async () => {
    const s = await server("tok", rotated);
    open.push(s);
    return s;
  };

  it("refuses a request to an origin not in allowedOrigins before reading the token or sending anything", async () => {
    const [allowed, other] = [await started(), await started()];
    const asked: boolean[] = [];
    const authFetch = createAuthFetch({
      allowedOrigins: [allowed.url],
      tokenSource: ({ forceRefresh }) => {
        asked.push(forceRefresh);
        return "tok";
      },
    });
    const error = await authFetch(`${other.url}/x`).catch((e: unknown) => e);
    expect(isAuthError(error, "invalid_input")).toBe(true);
    expect((error as AuthError).message).toContain(new URL(other.url).origin);
    expect((error as AuthError).hint).toMatch(/allowedOrigins/);
    expect(other.seen).toEqual([]);
    expect(asked).toEqual([]);

    expect((await authFetch(`${allowed.url}/x`)).status).toBe(200);
    expect(allowed.seen.map((r) => r.authorization)).toEqual(["Bearer tok"]);
  });

  it("follows a redirect to another origin without the token", async () => {
    const target = await started();
    const redirecting = await listen(
      createServer((_req, res) => {
        res.writeHead(302, { location: `${target.url}/landed` }).end();
      }),
    );
    open.push(redirecting);
    const authFetch = createAuthFetch({ tokenSource: "tok", allowedOrigins: [redirecting.url] });
    expect((await authFetch(`${redirecting.url}/x`)).status).toBe(401);
    expect(target.seen.map((r) => r.authorization)).toEqual([undefined]);
  });

  it("refuses plain http to a host that is not loopback, unless allowInsecureHttp", () => {
    const make = (origin: string, allowInsecureHttp?: boolean) =>
      createAuthFetch({ tokenSource: "tok", allowedOrigins: [origin], allowInsecureHttp });
    const error = (() => {
      try {
        make("http://billing.internal:8080");
      } catch (e) {
        return e;
      }
    })();
    expect(isAuthError(error, "config_invalid")).toBe(true);
    expect((error as AuthError).message).toContain("plain http");
    expect((error as AuthError).hint).toMatch(/https|allowInsecureHttp/);
    expect(() => make("http://billing.internal:8080", true)).not.toThrow();
    for (const origin of [
      "https://billing.internal",
      "http://localhost:8080",
      "http://127.0.0.2",
      "http://[::1]:9",
    ]) {
      expect(() => make(origin), origin).not.toThrow();
    }
  });

  it("needs allowedOrigins, and origins only", () => {
    const bad: unknown[] = [
      undefined,
      [],
      ["https://billing.internal/api"],
      ["https://user:pw@billing.internal"],
      ["ftp://billing.internal"],
      ["billing.internal"],
    ];
    for (const allowedOrigins of bad) {
      expect(
        () => createAuthFetch({ tokenSource: "tok", allowedOrigins } as never),
        JSON.stringify(allowedOrigins),
      ).toThrow(AuthError);
    }
    expect(() =>
      createAuthFetch({ tokenSource: "tok", allowedOrigins: ["https://billing.internal/"] }),
    ).not.toThrow();
  });
});

describe("createAuthFetch against a gofr-auth service", () => {
  it("recovers from a signing-secret rotation with one refresh", async () => {
    const { auth, source, provider } = createTestAuthService();
    const running = await listen(
      createServer(
        requireAuth({ auth }, (_req, res, who) => {
          res.end(JSON.stringify({ kid: who.keyId }));
        }),
      ),
    );
    try {
      let cached = (await auth.createToken({ groups: ["public"] })).token;
      const forced: boolean[] = [];
      const authFetch = createAuthFetch({
        allowedOrigins: [running.url],
        tokenSource: async ({ forceRefresh }) => {
          forced.push(forceRefresh);
          if (forceRefresh) cached = (await auth.createToken({ groups: ["public"] })).token;
          return cached;
        },
      });
      expect(await (await authFetch(running.url)).json()).toEqual({ kid: "shared.v1" });

      // The operator rotates; the service re-reads the secret (TTL elapsed, here: invalidated).
      source.set(SHARED_SECRET_NAME, "a-brand-new-signing-secret-of-at-least-32-bytes");
      provider.invalidate();

      const response = await authFetch(running.url);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ kid: "shared.v2" });
      expect(forced).toEqual([false, false, true]);
    } finally {
      await running.close();
    }
  });
});
