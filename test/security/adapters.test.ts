/**
 * The token catalogue (catalogue.ts) through every adapter on a real server on 127.0.0.1:
 * node, Express, Fastify, Hono, the MCP bearer middleware, and the reference MCP server.
 *
 * Expected outcomes come from the catalogue's hand-written table, never from the code under
 * test. Every accepted token (the baseline first: its jti is an active record) must get 200
 * through every adapter; every hostile token is that baseline with one property changed and
 * must get 401 with a `Bearer error="invalid_token"` challenge and a JSON body whose `code`
 * is the catalogue's, and nothing the server sends may echo the token.
 *
 * Where HTTP itself decides before any adapter code runs, the test says so and asserts it:
 *
 * - A header bigger than Node's `maxHeaderSize` (16 KiB by default) is answered 431 by
 *   `node:http` while parsing (the 64 KiB and 1 MiB entries on default servers). With the
 *   limit raised to 2 MiB the request reaches our size check: 401 `token_too_large`, with
 *   the secret store untouched and no large JSON.parse call (counted, not timed).
 * - A token with a line feed cannot be a header value: Node's client refuses to send it,
 *   and sent raw, Node's parser answers 400.
 * - `Authorization: Bearer ` with an empty token is, after the parser strips trailing
 *   whitespace, a header of the wrong shape (the catalogue's `httpCode`).
 */
import type { ServerOptions } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AuthEvent } from "../../src/adapters/shared/options.js";
import { AuthService } from "../../src/auth-service.js";
import { silentLogger } from "../../src/log.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { createTestAuthService, ManualClock, TEST_SECRET } from "../../src/testing/index.js";
import type { RunningServer } from "../adapters/support/listen.js";
import { ControlledSource } from "../support/controlled-source.js";
import {
  expectNoEcho,
  expectRefusal,
  send,
  sendHeadOfOversized,
  sendRaw,
  type Target,
  targets,
  tokenPieces,
} from "./adapter-targets.js";
import {
  acceptedTokens,
  BASELINE_JTI,
  CATALOGUE_SERVICE,
  catalogueRecords,
  hostileTokens,
  MAX_TOKEN_CHARS,
} from "./catalogue.js";

/**
 * JSON.parse calls with a large input (any token part that got decoded and parsed would be
 * one): the structural proof that oversized tokens are refused before any parsing. A spy on
 * the global, so it holds whichever code does the parsing.
 */
const LARGE_JSON = 1024;
let largeParses = 0;
beforeAll(() => {
  const parse = JSON.parse.bind(JSON);
  vi.spyOn(JSON, "parse").mockImplementation(
    (text: string, reviver?: Parameters<typeof parse>[1]) => {
      if (typeof text === "string" && text.length >= LARGE_JSON) largeParses += 1;
      return parse(text, reviver);
    },
  );
});
afterAll(() => {
  vi.restoreAllMocks();
});

/** Entries bigger than Node's default 16 KiB header limit. */
const OVERSIZE = new Set(["64 KiB token", "1 MiB token"]);
/** A header value may hold visible ASCII and spaces only (no CR, LF, NUL, non-ASCII). */
const transmissible = (token: string) => /^[\x20-\x7e]*$/.test(token);

// A fixed clock (so tolerance boundaries hold) at the wall clock's second: the MCP SDK checks
// `exp` against the wall clock.
const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
const now = Math.floor(clock.now() / 1000);
const { auth, store } = createTestAuthService({ clock: clock.now, ...CATALOGUE_SERVICE });
const accepted = acceptedTokens(TEST_SECRET, now);
const catalogue = hostileTokens(TEST_SECRET, now);
const ordinary = catalogue.filter(({ name, token }) => !OVERSIZE.has(name) && transmissible(token));
const untransmissible = catalogue.filter(({ token }) => !transmissible(token));
const oversize = catalogue.filter(({ name }) => OVERSIZE.has(name));
const atTheLimit = accepted.find(({ name }) => name === "exactly the size limit")?.token as string;

beforeAll(async () => {
  for (const record of catalogueRecords(now)) await store.insertToken(record);
});

describe("the catalogue's special entries, so every branch below runs", () => {
  it("has the oversize, untransmissible and size-limit entries", () => {
    expect(oversize.map((entry) => entry.name).sort()).toEqual([...OVERSIZE].sort());
    expect(untransmissible.map((entry) => entry.name)).toEqual(["trailing newline"]);
    expect(ordinary.length).toBe(catalogue.length - 3);
    expect(atTheLimit.length).toBe(MAX_TOKEN_CHARS);
    expect(accepted[0]?.name).toBe("baseline");
  });
});

function runsFor(target: Target) {
  return accepted.filter((entry) => !(entry.toleranceOnly && target.wallClockExpiry));
}

for (const target of targets) {
  describe(`${target.name}: default server (maxHeaderSize 16 KiB)`, () => {
    const events: AuthEvent[] = [];
    let server: RunningServer;

    beforeAll(async () => {
      server = await target.start(auth, (event) => events.push(event));
    });
    afterAll(() => server.close());

    for (const entry of runsFor(target)) {
      it(`accepts: ${entry.name}`, async () => {
        const before = events.length;
        const answer = await send(server.url, target, `Bearer ${entry.token}`);
        expect(answer.status).toBe(200);
        expectNoEcho(answer, entry.token);
        const allowed = events.slice(before);
        expect(allowed).toEqual([expect.objectContaining({ outcome: "allowed" })]);
        expect(allowed[0]?.outcome === "allowed" && allowed[0].context.tokenId).toBe(BASELINE_JTI);
      });
    }

    for (const entry of ordinary) {
      const code = entry.httpCode ?? entry.code;
      it(`refuses with ${code}: ${entry.name}`, async () => {
        const before = events.length;
        const answer = await send(server.url, target, `Bearer ${entry.token}`);
        expectRefusal(answer, code);
        expectNoEcho(answer, entry.token);
        expect(events.slice(before)).toEqual([
          expect.objectContaining({ outcome: "denied", status: 401, code }),
        ]);
      });
    }

    for (const entry of oversize) {
      it(`${entry.name}: 431 from node:http before any adapter code runs`, async () => {
        const before = { events: events.length, largeParses };
        // Just past Node's 16 KiB limit: the parser refuses there, before any adapter code.
        const raw = await sendHeadOfOversized(
          server.url,
          target.path,
          `Bearer ${entry.token}`,
          17 * 1024,
        );
        expect(raw).toMatch(/^HTTP\/1\.1 431 /);
        // Node writes no body; Fastify's clientError handler writes its own JSON. Never ours.
        expect(raw).not.toContain('"code"');
        for (const piece of tokenPieces(entry.token)) expect(raw).not.toContain(piece);
        expect(events.length).toBe(before.events);
        expect(largeParses).toBe(before.largeParses);
      });
    }

    for (const entry of untransmissible) {
      it(`${entry.name}: cannot be sent as a header; sent raw, the HTTP parser answers 400`, async () => {
        await expect(send(server.url, target, `Bearer ${entry.token}`)).rejects.toMatchObject({
          code: "ERR_INVALID_CHAR",
        });
        const before = events.length;
        const raw = await sendRaw(server.url, target.path, `Bearer ${entry.token}`);
        expect(raw).toMatch(/^HTTP\/1\.1 400 /);
        for (const piece of tokenPieces(entry.token.trim())) expect(raw).not.toContain(piece);
        expect(events.length).toBe(before);
      });
    }
  });
}

describe("oversized tokens reach our size check when maxHeaderSize allows them", () => {
  const big: ServerOptions = { maxHeaderSize: 2 * 1024 * 1024 };

  for (const target of targets) {
    it(`${target.name}: 401 token_too_large, before the secret store or any JSON parsing`, async () => {
      // A cold provider: the first thing verification does after the size and shape checks
      // is load the key, so an untouched source proves nothing got past them.
      const source = new ControlledSource(TEST_SECRET);
      const coldStore = new MemoryAuthStore();
      for (const record of catalogueRecords(now)) await coldStore.insertToken(record);
      const cold = new AuthService({
        store: coldStore,
        secretProvider: new JwtSecretProvider({ source, logger: silentLogger, clock: clock.now }),
        logger: silentLogger,
        clock: clock.now,
      });
      const events: AuthEvent[] = [];
      const server = await target.start(cold, (event) => events.push(event), big);
      try {
        const before = largeParses;
        for (const entry of oversize) {
          const answer = await send(server.url, target, `Bearer ${entry.token}`);
          expectRefusal(answer, "token_too_large");
          expectNoEcho(answer, entry.token);
        }
        expect(events.map((event) => (event.outcome === "denied" ? event.code : "?"))).toEqual([
          "token_too_large",
          "token_too_large",
        ]);
        expect(source.reads).toBe(0);
        expect(largeParses).toBe(before);

        // Control: a token of exactly the size limit is parsed and accepted, so the counters
        // above can move: the key is loaded and its large payload goes to JSON.parse.
        const answer = await send(server.url, target, `Bearer ${atTheLimit}`);
        expect(answer.status).toBe(200);
        expect(source.reads).toBe(1);
        expect(largeParses).toBe(before + 1);
      } finally {
        await server.close();
      }
    });
  }
});
