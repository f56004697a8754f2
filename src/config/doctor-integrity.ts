/**
 * `doctor`'s integrity checks: SQLite's `quick_check` of the embedded store's file, and the
 * Vault store's name indexes against the records (`store/index-drift.ts`), with the one
 * repair that is always safe done under `doctor --fix`: putting back group names that a
 * writer without check-and-set dropped from the group index.
 */
import { describeError } from "../errors.js";
import { checkNameIndexes, type IndexDrift } from "../store/index-drift.js";
import type { AuthStore } from "../store/store.js";
import type { StoreAdmin } from "./backends.js";

type Level = "error" | "warn" | "ok";
type Add = (level: Level, code: string, message: string, fix?: string) => void;

/** What `doctor --fix` repairs, for `--help`. */
export const DOCTOR_FIX_HELP = `
--fix repairs only what is safe to repair without a person looking at it:
  group_index_unindexed  puts each dropped group name back into the Vault group index
                         (with check-and-set, pointing at the group's record)
Everything else is reported with its fix for you to apply: the other index drift needs a
look first (a create may still be running), and a damaged SQLite file (sqlite_integrity)
needs a backup restored or salvaged; doctor never rewrites the file.`;

/** The most `quick_check` problems shown in the message. */
const SHOWN_PROBLEMS = 3;

/** SQLite only: `PRAGMA quick_check` of the store's file. */
export function checkSqliteIntegrity(admin: StoreAdmin, location: string, add: Add): void {
  const problems = admin.quickCheck();
  if (problems === undefined) return; // Vault: no file to check
  if (problems.length === 0) {
    add("ok", "sqlite_integrity_ok", `SQLite quick_check of ${location} found no damage`);
    return;
  }
  const shown = problems.slice(0, SHOWN_PROBLEMS);
  if (problems.length > SHOWN_PROBLEMS) shown.push(`and ${problems.length - SHOWN_PROBLEMS} more`);
  add(
    "error",
    "sqlite_integrity",
    `SQLite quick_check of ${location} found damage: ${shown.join("; ")}`,
    `stop every service using it and copy the file (with its -wal) aside; restore the last good backup (docs/embedded-store.md, Backup), or salvage what is left: sqlite3 ${location} .recover | sqlite3 recovered.db, run doctor against recovered.db (<PREFIX>_AUTH_STORE), then swap it in; if the signing secret was lost, run gofr-auth init and re-issue tokens`,
  );
}

/**
 * Name indexes that disagree with their records (Vault only). With `fix`, dropped group
 * names are put back first, then what is left is reported.
 */
export async function checkIndexDrift(store: AuthStore, add: Add, fix: boolean): Promise<void> {
  let drift: IndexDrift[] | undefined;
  try {
    drift = await checkNameIndexes(store);
    if (drift !== undefined && fix) drift = await repairDroppedGroups(store, drift, add);
  } catch (error) {
    add(
      "warn",
      "name_indexes_unchecked",
      `Cannot check the name indexes against the records: ${describeError(error)}`,
      "check with an identity that may read and list the auth paths",
    );
    return;
  }
  if (drift === undefined) return;
  for (const item of drift) add("warn", item.code, item.message, item.hint);
  if (drift.length === 0) add("ok", "name_indexes_ok", "The name indexes match the records");
}

/**
 * Looks each dropped group up by name: the Vault store puts an entry back when the index
 * lacks it (check-and-set, so a concurrent writer is never overwritten). Returns the drift
 * found afterwards.
 */
async function repairDroppedGroups(
  store: AuthStore,
  drift: IndexDrift[],
  add: Add,
): Promise<IndexDrift[]> {
  const dropped = drift.find((item) => item.code === "group_index_unindexed")?.names ?? [];
  if (dropped.length === 0) return drift;
  for (const name of dropped) await store.findGroupByName(name);
  const after = (await checkNameIndexes(store)) ?? [];
  const still = new Set(after.find((item) => item.code === "group_index_unindexed")?.names);
  const repaired = dropped.filter((name) => !still.has(name));
  if (repaired.length > 0) {
    add("ok", "group_index_repaired", `Put back into the group name index: ${repaired.join(", ")}`);
  }
  if (still.size > 0) {
    add(
      "warn",
      "group_index_unrepaired",
      `Could not put back into the group name index: ${[...still].join(", ")}`,
      "run doctor --fix with an identity that may write the auth paths (the admin AppRole)",
    );
  }
  return after;
}
