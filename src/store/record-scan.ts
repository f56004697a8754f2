/**
 * Helpers for the stores that find records by reading all of them (the Vault store: KV has
 * no query, so a name without an index entry is found by listing and reading every record),
 * and for reporting the records a scan had to skip.
 */
import type { AuthError } from "../errors.js";
import type { Logger } from "../log.js";
import type { AuthStore } from "./store.js";
import { isMalformedRecord } from "./wire.js";

/**
 * A name -> id table without a prototype, so that a name such as `constructor` or
 * `toString` is only ever an entry, never `Object.prototype`'s. Later sources win.
 */
export function nameTable(
  ...sources: ReadonlyArray<Readonly<Record<string, string>>>
): Record<string, string> {
  return Object.assign(Object.create(null) as Record<string, string>, ...sources);
}

/** Name -> id of the records; where a name is held twice, the earliest record keeps it. */
export function nameMap(records: ReadonlyArray<Dated & { name: string | null }>) {
  const names = nameTable();
  for (const record of [...records].sort(byAge)) {
    if (record.name !== null) names[record.name] ??= record.id;
  }
  return names;
}

/** A stored record that cannot be read as one, skipped by scans (for `doctor`). */
export interface MalformedRecord {
  kind: "group" | "token";
  /** The id it is stored under (path segment or row id). */
  id: string;
  /** Where it is, e.g. `vault secret/gofr/auth/tokens/<id>`. */
  where: string;
  /** What is wrong with it; never a secret. */
  problem: string;
}

/** A store whose scans skip malformed records, and can list them (Vault, SQLite). */
export interface RecordChecks {
  malformedRecords(): Promise<MalformedRecord[]>;
}

/** The malformed records of `store`, or `undefined` for stores without any (memory). */
export async function findMalformedRecords(
  store: AuthStore,
): Promise<MalformedRecord[] | undefined> {
  const checks = store as Partial<RecordChecks>;
  return typeof checks.malformedRecords === "function" ? checks.malformedRecords() : undefined;
}

/** The report of a malformed-record error (see `isMalformedRecord`). */
export function describeMalformed(
  kind: MalformedRecord["kind"],
  id: string,
  error: AuthError,
): MalformedRecord {
  const { where, problem } = error.details as { where?: unknown; problem?: unknown };
  return {
    kind,
    id,
    where: typeof where === "string" ? where : id,
    problem: typeof problem === "string" ? problem : error.message,
  };
}

/**
 * `read` over `ids` (at most `limit` at a time): the records found, and the malformed ones
 * skipped, so that one bad record never fails a listing. Other failures (the store is
 * down) still reject.
 */
export async function scanRecords<T>(
  kind: MalformedRecord["kind"],
  ids: readonly string[],
  limit: number,
  read: (id: string) => Promise<T | undefined>,
): Promise<{ records: T[]; malformed: MalformedRecord[] }> {
  const malformed: MalformedRecord[] = [];
  const found = await mapLimit(ids, limit, async (id) => {
    try {
      return await read(id);
    } catch (error) {
      if (!isMalformedRecord(error)) throw error;
      malformed.push(describeMalformed(kind, id, error));
      return undefined;
    }
  });
  return { records: found.filter((record): record is T => record !== undefined), malformed };
}

export interface Dated {
  id: string;
  createdAt: Date;
}

/** Oldest first; the id breaks ties, so every process picks the same record. */
function byAge(a: Dated, b: Dated): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || byId(a, b);
}

function byId(a: Dated, b: Dated): number {
  if (a.id < b.id) return -1;
  // V8's sort only asks whether a comparison is below 0 (v8/v8 third_party/v8/builtins/
  // array-sort.tq: every branch is `order < 0` or `order >= 0`), so here 1 and 0 sort alike.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: 1 and 0 give the same order in V8's sort (above)
  return a.id > b.id ? 1 : 0;
}

export function earliest<T extends Dated>(records: readonly T[]): T | undefined {
  return [...records].sort(byAge)[0];
}

/** `run` over `items`, at most `limit` at a time; results in the order of `items`. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
) {
  // Stryker disable next-line ArrayDeclaration: every index is assigned before the array is returned
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await run(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Logs each malformed record a scan skipped, once per location. */
export class MalformedWarnings {
  private readonly reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

  warn(malformed: readonly MalformedRecord[]): void {
    for (const record of malformed) {
      if (this.reported.has(record.where)) continue;
      this.reported.add(record.where);
      this.logger.warn("Skipped a stored record that cannot be read", {
        ...record,
        hint: "repair or delete it; `gofr-auth doctor` lists such records",
      });
    }
  }
}
