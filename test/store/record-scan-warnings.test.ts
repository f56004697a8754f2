/**
 * The WARNING a listing logs for each stored record it had to skip (`MalformedWarnings`):
 * which record, where it is, what is wrong, and what to do; once per record, not once per
 * listing (a service lists on every cold lookup). Shown through the embedded store, with a
 * row an operator revoked with SQL on the `status` column only.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { type MalformedRecord, MalformedWarnings } from "../../src/store/record-scan.js";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import { makeToken, useTempDirs } from "../sqlite/helpers.js";
import { captureLogger } from "../support/capture-logger.js";

const temp = useTempDirs();
const HINT = "repair or delete it; `gofr-auth doctor` lists such records";

describe("warnings about skipped records", () => {
  it("a listing that skips a row logs the row, its problem and what to do, once", async () => {
    const logger = captureLogger();
    const path = join(temp.dir(), "auth.db");
    const store = new SqliteAuthStore({ path, logger });
    temp.onCleanup(() => store.close());
    const [good, edited] = [makeToken({ name: "ci-bot" }), makeToken({ name: "deploy-bot" })];
    await store.insertToken(good);
    await store.insertToken(edited);
    const raw = new Database(path);
    raw.prepare("UPDATE tokens SET status = 'revoked' WHERE id = ?").run(edited.id);
    raw.close();

    expect((await store.listTokens()).map((record) => record.id)).toEqual([good.id]);
    await store.listTokens();
    await store.malformedRecords();

    expect(logger.entries).toEqual([
      {
        level: "warn",
        message: "Skipped a stored record that cannot be read",
        fields: {
          kind: "token",
          id: edited.id,
          where: `${path} tokens/${edited.id}`,
          problem:
            'its status column is "revoked", the record says "active" (the record is authoritative: change both, or revoke with gofr-auth)',
          hint: HINT,
        },
      },
    ]);
  });

  it("two records skipped at two locations get one warning each", () => {
    const logger = captureLogger();
    const warnings = new MalformedWarnings(logger);
    const group: MalformedRecord = {
      kind: "group",
      id: "g1",
      where: "vault secret/groups/g1",
      problem: "not JSON",
    };
    const token: MalformedRecord = {
      kind: "token",
      id: "t1",
      where: "vault secret/tokens/t1",
      problem: "not JSON",
    };
    warnings.warn([group, token]);
    warnings.warn([token, group]);
    expect(logger.entries.map((entry) => entry.fields)).toEqual([
      { ...group, hint: HINT },
      { ...token, hint: HINT },
    ]);
  });
});
