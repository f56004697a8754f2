/**
 * The database file holds signing secrets, so it must be readable by its owner only (0600)
 * and live in a folder only its owner can enter (0700) when we create that folder.
 * SQLite creates its `-wal` and `-shm` files with the database file's mode, so securing the
 * main file before SQLite first opens it secures those too.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  mkdirSync,
  openSync,
  statSync,
} from "node:fs";
import { AuthError, describeError } from "../errors.js";
import type { Logger } from "../log.js";

/** What to do about a database file (or `-wal`/`-shm`) that group or others can access. */
export type LoosePermissionsPolicy = "fix" | "refuse";

export const FILE_MODE = 0o600;
export const FOLDER_MODE = 0o700;
// S_ISVTX: in a sticky folder (like /tmp) only a file's owner may delete or rename it.
const STICKY_BIT = 0o1000;

// POSIX modes mean nothing on Windows (ACLs decide); there we only create the files.
const posix = process.platform !== "win32";

function fsError(error: unknown, path: string, action: string): AuthError {
  return new AuthError(
    "store_unavailable",
    `SQLite store ${path}: cannot ${action}: ${describeError(error)}`,
    {
      cause: error,
      hint: "check that the folder exists or can be created and is writable by this user",
      details: { path },
    },
  );
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * Creates `folder` (and missing parents) with mode 0700, or checks an existing one. A folder
 * we did not create is never changed: it may be shared (e.g. `/tmp`). One that others can
 * write to without the sticky bit lets them replace the database, so it is refused under
 * `refuse` and warned about under `fix`.
 */
export function prepareFolder(folder: string, policy: LoosePermissionsPolicy, logger: Logger) {
  let created: string | undefined;
  try {
    created = mkdirSync(folder, { recursive: true, mode: FOLDER_MODE });
    // The umask can only remove bits, but set the mode explicitly so it is exactly 0700.
    if (created !== undefined && posix) chmodSync(folder, FOLDER_MODE);
  } catch (error) {
    throw fsError(error, folder, "create the database folder");
  }
  if (created !== undefined || !posix) return;
  const mode = statSync(folder).mode;
  const othersCanWrite = (mode & 0o022) !== 0 && (mode & STICKY_BIT) === 0;
  if (!othersCanWrite) return;
  const message = `Folder ${folder} of the gofr-auth database is writable by other users (mode ${octal(mode)})`;
  const hint = `run \`chmod 700 ${folder}\` or keep the database in a private folder`;
  if (policy === "refuse") {
    throw new AuthError("config_invalid", message, { hint, details: { path: folder } });
  }
  logger.warn(`${message}: they could replace the database`, { path: folder, hint });
}

/**
 * Creates the database file with mode 0600 before SQLite opens it (SQLite itself would use
 * 0644), or checks an existing file and its `-wal`/`-shm` companions. Returns true when the
 * file was created here.
 */
export function prepareFile(file: string, policy: LoosePermissionsPolicy, logger: Logger) {
  try {
    // O_EXCL: when two processes create the file at once, exactly one creates it.
    const fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, FILE_MODE);
    try {
      if (posix) fchmodSync(fd, FILE_MODE);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw fsError(error, file, "create the database file");
    }
  }
  if (posix) {
    for (const path of [file, `${file}-wal`, `${file}-shm`]) checkFileMode(path, policy, logger);
  }
  return false;
}

function checkFileMode(path: string, policy: LoosePermissionsPolicy, logger: Logger): void {
  let mode: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) {
      throw new AuthError("config_invalid", `${path} is not a regular file`, {
        hint: "point the store at a file path (default ./.gofr-auth/auth.db)",
        details: { path },
      });
    }
    mode = stat.mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // no -wal/-shm yet
    if (error instanceof AuthError) throw error;
    throw fsError(error, path, "inspect the database file");
  }
  if ((mode & 0o077) === 0) return;
  const message = `${path} holds signing secrets but is accessible by other users (mode ${octal(mode)})`;
  if (policy === "refuse") {
    throw new AuthError("config_invalid", message, {
      hint: `run \`chmod 600 ${path}\`, then consider rotating the signing secret`,
      details: { path, mode: octal(mode) },
    });
  }
  try {
    chmodSync(path, FILE_MODE);
  } catch (error) {
    throw fsError(error, path, "restrict the database file to mode 0600");
  }
  logger.warn(`${message}; changed it to 0600`, {
    path,
    previous_mode: octal(mode),
    hint: "other users may have read it: consider rotating the signing secret",
  });
}
