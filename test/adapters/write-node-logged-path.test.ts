/**
 * The path a refusal is logged with, through every adapter on a real server on 127.0.0.1:
 * the request path as sent, without the query string (queries can carry secrets and must
 * never reach the log).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { captureLogger } from "../support/capture-logger.js";
import { type AdapterFixture, createAdapterFixture } from "./support/fixture.js";
import { harnesses } from "./support/harness.js";

let fixture: AdapterFixture;
beforeAll(async () => {
  fixture = await createAdapterFixture();
});

describe.each(harnesses)("$name adapter", (harness) => {
  it("logs a refusal with the request path, without its query string", async () => {
    const logger = captureLogger();
    const server = await harness.start({ auth: fixture.auth, logger });
    try {
      for (const target of ["/r", "/r?api_key=s3cret-query&x=1", "/r?"]) {
        const answer = await fetch(`${server.url}${target}`);
        expect(answer.status, target).toBe(401);
      }
      const refused = logger.entries.filter((entry) => entry.message === "Request refused");
      expect(refused.map((entry) => entry.fields.path)).toEqual(["/r", "/r", "/r"]);
      expect(JSON.stringify(logger.entries)).not.toContain("s3cret-query");
    } finally {
      await server.close();
    }
  });
});
