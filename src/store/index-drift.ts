/**
 * Drift between a name index (`{ "<name>": "<id>" }`) and the records it names, as
 * `doctor` reports it. The Vault store keeps the indexes with check-and-set, but the Python
 * fleet rewrites the group index without it (gofr-reference.md B-10), a create that
 * crashed between claiming a name and writing its record leaves a claim behind, and tokens
 * the Python fleet creates are never in our token index.
 */
import type { AuthStore } from "./store.js";

export type IndexKind = "group" | "token";
export type IndexDriftProblem = "dangling" | "mismatch" | "unindexed" | "duplicate";

export interface IndexDrift {
  /** Stable, e.g. `group_index_unindexed`. */
  code: `${IndexKind}_index_${IndexDriftProblem}`;
  kind: IndexKind;
  problem: IndexDriftProblem;
  /** The names concerned, sorted. */
  names: string[];
  message: string;
  /** How to repair it. */
  hint: string;
}

/** One index and the records it should describe, read at one moment. */
export interface IndexSnapshot {
  kind: IndexKind;
  /** The index as the `vault kv` CLI names it, e.g. `secret/gofr/auth/groups/_index/names`. */
  cliPath: string;
  /** The records' folder as the `vault kv` CLI names it, e.g. `secret/gofr/auth/groups`. */
  cliFolder: string;
  names: Readonly<Record<string, string>>;
  /** The index's KV version (what `-cas` must say to change it). */
  version: number;
  records: ReadonlyArray<{ id: string; name: string | null }>;
}

/** A store whose name indexes can drift from its records (the Vault store). */
export interface NameIndexChecks {
  nameIndexDrift(): Promise<IndexDrift[]>;
}

/**
 * The drift of `store`'s name indexes, or `undefined` for stores without any (memory,
 * SQLite: there names are unique columns, nothing can drift).
 */
export async function checkNameIndexes(store: AuthStore): Promise<IndexDrift[] | undefined> {
  const checks = store as Partial<NameIndexChecks>;
  return typeof checks.nameIndexDrift === "function" ? checks.nameIndexDrift() : undefined;
}

/** Entries without their record, records without their entry, and names held twice. */
export function findIndexDrift(snapshot: IndexSnapshot): IndexDrift[] {
  const { names, records } = snapshot;
  const byId = new Map(records.map((record) => [record.id, record]));
  const found: Record<IndexDriftProblem, Array<{ name: string; text: string }>> = {
    dangling: [],
    mismatch: [],
    unindexed: [],
    duplicate: [],
  };
  for (const [name, id] of Object.entries(names)) {
    const record = byId.get(id);
    if (!record) found.dangling.push({ name, text: `${name} -> ${id}` });
    else if (record.name !== name) {
      found.mismatch.push({ name, text: `${name} -> ${id} (named '${record.name ?? ""}')` });
    }
  }
  for (const record of records) {
    if (record.name === null) continue;
    // Own entries only: `names` may be a plain object, and `constructor` is not a name in it.
    const owner = Object.hasOwn(names, record.name) ? names[record.name] : undefined;
    if (owner === record.id) continue;
    const twin = owner === undefined ? undefined : byId.get(owner);
    const problem = twin?.name === record.name ? "duplicate" : "unindexed";
    const text =
      problem === "duplicate"
        ? `${record.name} (${record.id}; the index uses ${owner})`
        : `${record.name} (${record.id})`;
    found[problem].push({ name: record.name, text });
  }
  const drift: IndexDrift[] = [];
  for (const problem of ["dangling", "mismatch", "unindexed", "duplicate"] as const) {
    const items = found[problem].sort((a, b) => a.name.localeCompare(b.name));
    if (items.length > 0) drift.push(describe(snapshot, problem, items));
  }
  return drift;
}

const SHOWN = 10;

function describe(
  snapshot: IndexSnapshot,
  problem: IndexDriftProblem,
  items: ReadonlyArray<{ name: string; text: string }>,
): IndexDrift {
  const { kind, cliPath, version } = snapshot;
  const shown = items.slice(0, SHOWN).map((item) => item.text);
  if (items.length > SHOWN) shown.push(`and ${items.length - SHOWN} more`);
  const index = `${kind} name index ${cliPath} (v${version})`;
  const rewrite = `write the index back with check-and-set: save the data of 'vault kv get -format=json ${cliPath}', edit it, then 'vault kv put -cas=${version} ${cliPath} @names.json'`;
  const messages: Record<IndexDriftProblem, string> = {
    dangling: `The ${index} maps names to records that do not exist`,
    mismatch: `The ${index} maps names to records that carry another name`,
    unindexed: `${kind === "group" ? "Groups" : "Named tokens"} missing from the ${index}`,
    duplicate: `${kind === "group" ? "Group" : "Token"} names held by more than one record`,
  };
  return {
    code: `${kind}_index_${problem}`,
    kind,
    problem,
    names: [...new Set(items.map((item) => item.name))],
    message: `${messages[problem]}: ${shown.join(", ")}`,
    hint: hints(snapshot, problem, rewrite),
  };
}

function hints(snapshot: IndexSnapshot, problem: IndexDriftProblem, rewrite: string): string {
  const { kind, cliFolder } = snapshot;
  switch (problem) {
    case "dangling":
      return `a create that stopped between claiming the name and writing the record leaves such an entry, and the name stays taken; if no create is running, remove the entries: ${rewrite}`;
    case "mismatch":
      return `names never change, so these entries are corrupt; point each at the record of that name or remove it: ${rewrite}`;
    case "unindexed":
      return kind === "group"
        ? `a writer that skips check-and-set (the Python fleet) wrote the index over these entries; lookups by name still find the groups, and an admin identity puts the entry back on its next lookup (\`gofr-auth groups create <name>\` answers that the group exists and repairs it); or add the entries by hand: ${rewrite}`
        : `tokens the Python fleet creates are never indexed; lookups by name scan the records, so this costs time, not correctness; to index them add the entries: ${rewrite}`;
    case "duplicate":
      return kind === "group"
        ? `creates of one name raced with a writer that skips check-and-set; tokens carry group names and lookups use the indexed record, so delete the other with a Vault admin identity: vault kv metadata delete ${cliFolder}/<id>`
        : `the index decides which record the name finds; revoke the other if it is not meant to be used: gofr-auth tokens revoke <id>`;
  }
}
