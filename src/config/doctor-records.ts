/**
 * `doctor`'s check of the stored records themselves: the group and token records that the
 * store cannot trust (bad fields, an id other than the path or row they are stored under,
 * SQLite columns that disagree with the record). Listings skip them and their own lookups
 * fail closed, so they never break the fleet; this is where an operator learns of them.
 */
import { describeError } from "../errors.js";
import { findMalformedRecords, type MalformedRecord } from "../store/record-scan.js";
import type { AuthStore } from "../store/store.js";

type Level = "error" | "warn" | "ok";
type Add = (level: Level, code: string, message: string, fix?: string) => void;

/** The most records named in the message. */
const SHOWN = 10;

/** Lists the malformed records of `store` (Vault, SQLite; the memory store has none). */
export async function checkStoredRecords(store: AuthStore, add: Add): Promise<void> {
  let malformed: MalformedRecord[] | undefined;
  try {
    malformed = await findMalformedRecords(store);
  } catch (error) {
    add(
      "warn",
      "records_unchecked",
      `Cannot read every stored record to check it: ${describeError(error)}`,
      "check with an identity that may read and list the auth paths",
    );
    return;
  }
  if (malformed === undefined) return;
  if (malformed.length === 0) {
    add("ok", "records_ok", "Every stored group and token record is readable");
    return;
  }
  const sorted = [...malformed].sort((a, b) => a.where.localeCompare(b.where));
  const shown = sorted.slice(0, SHOWN).map((record) => `${record.where} (${record.problem})`);
  if (sorted.length > SHOWN) shown.push(`and ${sorted.length - SHOWN} more`);
  add(
    "error",
    "records_malformed",
    `${sorted.length} stored record(s) cannot be trusted and are skipped by listings; tokens whose record is among them are refused: ${shown.join("; ")}`,
    "look at each record: repair its JSON so it carries the id it is stored under and valid fields (on SQLite, the name and status or is_active columns must say what the record says), or delete it and re-issue the token",
  );
}
