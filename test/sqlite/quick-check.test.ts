/**
 * `AuthDatabase.quickCheck()` (issue 17 item 8): SQLite's `quick_check` of the store's
 * file, one problem per line, empty for a sound file; and the store names it refuses to
 * create: `create: false` on a missing file fails without creating the file or its folder.
 */
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { openAuthDatabase } from "../../src/sqlite/database.js";

const dir = mkdtempSync(join(tmpdir(), "gofr-quick-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filled(name: string) {
  const path = join(dir, name);
  const database = openAuthDatabase({ path, logger: silentLogger });
  const insert = database.statement(
    "INSERT INTO tokens (id, name, status, created_at, record) VALUES (?, NULL, 'active', ?, '{}')",
  );
  database.write("fill", () => {
    for (let i = 0; i < 200; i += 1) insert.run(`id-${i}`, "2026-01-15T10:30:00Z");
  });
  return { path, database };
}

describe("AuthDatabase.quickCheck", () => {
  it("a sound file has no problems", () => {
    const { database } = filled("sound.db");
    expect(database.quickCheck()).toEqual([]);
    database.close();
  });

  it("a damaged index page: one problem per line, without SQLite's database header", () => {
    const { path, database } = filled("damaged.db");
    database.close(); // the last connection checkpoints the WAL into the file
    const probe = openAuthDatabase({ path, logger: silentLogger });
    const { rootpage } = probe
      .statement("SELECT rootpage FROM sqlite_master WHERE name = 'tokens_by_status'")
      .get() as { rootpage: number };
    const pageSize = probe.statement("PRAGMA page_size").pluck().get() as number;
    probe.close();
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (rootpage - 1) * pageSize);
    closeSync(fd);

    const damaged = openAuthDatabase({ path, logger: silentLogger });
    const problems = damaged.quickCheck();
    damaged.close();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((line) => line.includes("tokens_by_status") || /page/.test(line))).toBe(
      true,
    );
    for (const line of problems) {
      expect(line).not.toContain("\n");
      expect(line).not.toMatch(/^\*\*\*/);
    }
  });

  it("quickCheck on a closed file is refused like any other use", () => {
    const { database } = filled("closed.db");
    database.close();
    expect(() => database.quickCheck()).toThrow(/closed/);
  });
});

describe("opening without creating", () => {
  it("create: false on a missing file fails with store_unavailable and creates nothing", () => {
    const path = join(dir, "absent/auth.db");
    expect(() => openAuthDatabase({ path, create: false, logger: silentLogger })).toThrow(
      /does not exist/,
    );
    expect(existsSync(join(dir, "absent"))).toBe(false);
  });
});
