/**
 * `authorizationOf` (public through `gofr-auth/node`) on a real `node:http` request: what the
 * client sent as `Authorization`, every copy when there is more than one. Node keeps only the
 * first copy in `req.headers`, so the list is what lets `readBearerToken` refuse two headers.
 * Raw bytes over a socket: `fetch` would merge repeated headers.
 */
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationOf } from "../../src/adapters/node.js";
import { listen, type RunningServer } from "./support/listen.js";
import { rawGet } from "./support/raw-http.js";

let server: RunningServer;
beforeAll(async () => {
  // Answers with what authorizationOf read (null for undefined).
  server = await listen(
    createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ authorization: authorizationOf(req) ?? null }));
    }),
  );
});
afterAll(() => server.close());

async function readBack(headerLines: readonly string[]): Promise<unknown> {
  const answer = await rawGet(server.url, "/", headerLines);
  expect(answer.status, answer.body).toBe(200);
  return (JSON.parse(answer.body) as { authorization: unknown }).authorization;
}

describe("authorizationOf on a node:http request", () => {
  it("is undefined when no Authorization header was sent", async () => {
    expect(await readBack(["Accept: */*"])).toBeNull();
  });

  it("is the value of the one Authorization header", async () => {
    expect(await readBack(["Accept: */*", "Authorization: Bearer one"])).toBe("Bearer one");
  });

  // Cache-Control has as many letters as Authorization: the name itself must match.
  it("does not count another header whose name has as many letters", async () => {
    expect(await readBack(["Cache-Control: no-cache", "Authorization: Bearer one"])).toBe(
      "Bearer one",
    );
  });

  it("lists every copy in the order sent, whatever the case of the name, and nothing else", async () => {
    const lines = [
      "X-First: a",
      "authorization: Bearer one",
      "Cache-Control: no-cache",
      "AUTHORIZATION: Basic dXNlcjpwYXNz",
      "Accept: */*",
      "Authorization: ",
    ];
    expect(await readBack(lines)).toEqual(["Bearer one", "Basic dXNlcjpwYXNz", ""]);
  });
});

describe("authorizationOf on a hand-built source", () => {
  // rawHeaders is a flat name/value list; a name left without its value counts as empty.
  it("lists a trailing name without a value as an empty copy", () => {
    const source = {
      headers: { authorization: "Bearer one" },
      rawHeaders: ["Authorization", "Bearer one", "Authorization"],
    };
    expect(authorizationOf(source)).toEqual(["Bearer one", ""]);
  });
});
