/**
 * The database file holds signing secrets: folders others can write to and files others can
 * read are refused (or, under `fix`, files are narrowed to 0600). The checks read mode bits
 * with stat(), never access(): root passes every access() check, and these tests run as root
 * in CI containers, so a check based on "can I open it" would never refuse anything there.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { openAuthDatabase } from "../../src/sqlite/database.js";
import { captureLogger } from "../support/capture-logger.js";
import { permissions, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

function refusal(run: () => unknown): AuthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error("expected the database to be refused");
}

/** A folder with exactly `mode` (the umask cannot interfere with chmod). */
function folderWithMode(mode: number): string {
  const folder = join(temp.dir(), "db");
  mkdirSync(folder);
  chmodSync(folder, mode);
  return folder;
}

describe("a database folder other users can write to", () => {
  it.each([
    ["group-writable", 0o770],
    ["writable by others only", 0o703],
    ["writable by everyone", 0o777],
  ])("is refused when %s (mode %o), and nothing is created in it", (_label, mode) => {
    const folder = folderWithMode(mode);
    const path = join(folder, "auth.db");

    const error = refusal(() => openAuthDatabase({ path, loosePermissions: "refuse" }));
    expect(error.code).toBe("config_invalid");
    expect(error.message).toContain(folder);
    expect(error.message).toContain(`mode 0${mode.toString(8)}`);
    expect(error.hint).toContain(`chmod 700 ${folder}`);
    expect(existsSync(path)).toBe(false);
    expect(permissions(statSync(folder).mode)).toBe(mode); // never changed for the user
  });

  it("is accepted when sticky (like /tmp): others cannot replace a file they do not own", () => {
    const folder = folderWithMode(0o1777);
    const path = join(folder, "auth.db");
    const database = openAuthDatabase({ path, loosePermissions: "refuse" });
    database.close();
    expect(permissions(statSync(path).mode)).toBe(0o600);
    expect(statSync(folder).mode & 0o7777).toBe(0o1777);
  });

  it("is accepted when others may only read and enter it (0755)", () => {
    const folder = folderWithMode(0o755);
    const logger = captureLogger();
    openAuthDatabase({ path: join(folder, "auth.db"), loosePermissions: "refuse", logger }).close();
    expect(logger.entries).toEqual([]);
  });
});

describe("a -wal or -shm file others can read", () => {
  // SQLite keeps both files while any connection is open: a second opener checks them.
  for (const suffix of ["-wal", "-shm"]) {
    it(`refuses an open ${suffix} readable by others under refuse, changing nothing`, () => {
      const path = join(temp.dir(), "auth.db");
      const first = openAuthDatabase({ path });
      temp.onCleanup(() => first.close());
      chmodSync(`${path}${suffix}`, 0o644);

      const error = refusal(() => openAuthDatabase({ path, loosePermissions: "refuse" }));
      expect(error.code).toBe("config_invalid");
      expect(error.message).toContain(`${path}${suffix}`);
      expect(error.details).toMatchObject({ path: `${path}${suffix}`, mode: "0644" });
      expect(permissions(statSync(`${path}${suffix}`).mode)).toBe(0o644);
    });

    it(`narrows an open ${suffix} to 0600 under fix, with a warning`, () => {
      const path = join(temp.dir(), "auth.db");
      const first = openAuthDatabase({ path });
      temp.onCleanup(() => first.close());
      chmodSync(`${path}${suffix}`, 0o660);
      const logger = captureLogger();

      openAuthDatabase({ path, logger }).close();
      expect(permissions(statSync(`${path}${suffix}`).mode)).toBe(0o600);
      const warning = logger.entries.find((entry) => entry.level === "warn");
      expect(warning?.message).toContain(`${path}${suffix}`);
      expect(warning?.fields.previous_mode).toBe("0660");
    });
  }
});

describe("database paths that are not a plain file", () => {
  it("a folder at the database path is config_invalid under either policy", () => {
    const path = join(temp.dir(), "auth.db");
    mkdirSync(path, { mode: 0o700 });
    for (const loosePermissions of ["fix", "refuse"] as const) {
      const error = refusal(() => openAuthDatabase({ path, loosePermissions }));
      expect(error.code).toBe("config_invalid");
      expect(error.message).toContain("not a regular file");
    }
  });

  it("a -wal that cannot be inspected is store_unavailable, and the store is not opened", () => {
    const folder = temp.dir();
    const path = join(folder, "auth.db");
    openAuthDatabase({ path }).close();
    const before = readFileSync(path);
    symlinkSync(`${path}-wal`, `${path}-wal`); // a loop: stat() fails with ELOOP
    const error = refusal(() => openAuthDatabase({ path }));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain(`${path}-wal`);
    expect(error.message).toContain("inspect");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("a folder that cannot be created is store_unavailable naming it", () => {
    const blocker = join(temp.dir(), "not-a-folder");
    writeFileSync(blocker, "", { mode: 0o600 });
    const folder = join(blocker, "db");
    const error = refusal(() => openAuthDatabase({ path: join(folder, "auth.db") }));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain(folder);
    expect(error.hint).toContain("folder");
  });

  it("a file that cannot be created is store_unavailable naming it", () => {
    const path = join(temp.dir(), `${"x".repeat(300)}.db`); // over NAME_MAX (255)
    const error = refusal(() => openAuthDatabase({ path }));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain("create the database file");
  });
});
