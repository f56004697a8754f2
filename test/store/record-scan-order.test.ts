/**
 * Which record wins when two hold one name (`earliest`, `nameMap`; the Vault store uses them
 * to find a record by name and to rebuild its name index): the oldest, and among records
 * created in the same millisecond the smallest id. Every process must pick the same one
 * whatever order KV listed the records in, so each case is tried in every input order.
 */
import { describe, expect, it } from "vitest";
import { type Dated, earliest, nameMap } from "../../src/store/record-scan.js";

type Named = Dated & { name: string | null };

const at = (ms: number) => new Date(Date.UTC(2026, 0, 15, 10, 30, 0, ms));

function record(id: string, ms: number, name: string | null = "ci-bot"): Named {
  return { id, createdAt: at(ms), name };
}

/** Every order of `items`. */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    orders([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("earliest", () => {
  it("picks the oldest record whatever the order it is given", () => {
    const oldest = record("c-id", 100);
    const records = [record("a-id", 300), oldest, record("b-id", 200)];
    for (const order of orders(records)) expect(earliest(order)).toBe(oldest);
  });

  it("among records created in the same millisecond, picks the smallest id", () => {
    const first = record("3f2b8c1e-0000-4000-8000-000000000001", 100);
    const records = [
      first,
      record("3f2b8c1e-0000-4000-8000-000000000002", 100),
      record("9a1d0c2b-0000-4000-8000-000000000000", 100),
    ];
    for (const order of orders(records)) expect(earliest(order)).toBe(first);
  });

  it("a record listed twice is a tie with itself: the first copy given is kept", () => {
    const copy = record("a-id", 100);
    const again = { ...copy };
    expect(earliest([copy, again])).toBe(copy);
    expect(earliest([again, copy])).toBe(again);
  });

  it("has no answer for no records", () => {
    expect(earliest([])).toBeUndefined();
  });
});

describe("nameMap", () => {
  it("gives a name held twice to the older record, in any listing order", () => {
    const older = record("b-id", 100);
    const records = [record("a-id", 200), older, record("c-id", 150, "deploy-bot")];
    for (const order of orders(records)) {
      expect({ ...nameMap(order) }).toEqual({ "ci-bot": older.id, "deploy-bot": "c-id" });
    }
  });

  it("gives a name held twice in the same millisecond to the smaller id", () => {
    const records = [record("b-id", 100), record("a-id", 100)];
    for (const order of orders(records))
      expect({ ...nameMap(order) }).toEqual({ "ci-bot": "a-id" });
  });

  it("leaves out records without a name", () => {
    expect({ ...nameMap([record("a-id", 100, null), record("b-id", 200)]) }).toEqual({
      "ci-bot": "b-id",
    });
  });
});
