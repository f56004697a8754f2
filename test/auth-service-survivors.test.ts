/**
 * Issue 13 (mutation testing): AuthService behaviours that surviving mutants showed no test
 * pinned down: the revocation log line and revoking by an id pasted with whitespace.
 */
import { describe, expect, it } from "vitest";
import { createTestAuthService, ManualClock } from "../src/testing/index.js";
import { captureLogger } from "./support/capture-logger.js";

function setup() {
  const clock = new ManualClock();
  const logger = captureLogger();
  return { clock, logger, ...createTestAuthService({ clock: clock.now, logger }) };
}

describe("AuthService revocation", () => {
  it("logs 'Token revoked' at info with the token id and name, never the token", async () => {
    const { auth, logger } = setup();
    const { record } = await auth.createToken({ groups: ["admin"], name: "ops-bot" });
    await auth.revokeToken(record.id);
    const revoked = logger.entries.filter((entry) => entry.message === "Token revoked");
    expect(revoked).toEqual([
      { level: "info", message: "Token revoked", fields: { token_id: record.id, name: "ops-bot" } },
    ]);
  });

  it("accepts a token id pasted with surrounding whitespace and upper case", async () => {
    const { auth } = setup();
    const { record } = await auth.createToken({ groups: ["admin"] });
    const result = await auth.revokeToken(`  ${record.id.toUpperCase()}\n`);
    expect(result.changed).toBe(true);
    expect(result.record.id).toBe(record.id);
    expect((await auth.getToken(record.id))?.status).toBe("revoked");
  });
});
