/**
 * Helpers for the stores that find records by reading all of them (the Vault store: KV has
 * no query, so a name without an index entry is found by listing and reading every record).
 */

/** Name -> id of the records; where a name is held twice, the earliest record keeps it. */
export function nameMap(records: ReadonlyArray<Dated & { name: string | null }>) {
  const names: Record<string, string> = {};
  for (const record of [...records].sort(byAge)) {
    if (record.name !== null) names[record.name] ??= record.id;
  }
  return names;
}

export interface Dated {
  id: string;
  createdAt: Date;
}

/** Oldest first; the id breaks ties, so every process picks the same record. */
function byAge(a: Dated, b: Dated): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
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
