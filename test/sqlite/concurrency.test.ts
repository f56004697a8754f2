import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import { JsonLineProcess, VITE_NODE } from "../support/json-line-process.js";
import { useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const WRITER = fileURLToPath(new URL("./fixtures/writer.ts", import.meta.url));

interface WorkerResult {
  worker: string;
  tokens: string[];
  created: string[];
  existed: string[];
  errors: Array<{ operation: string; code: string; message: string }>;
}

/** A spawned writer process with a queue of the JSON messages it printed. */
function startWriter(path: string, worker: string, tokens: number, groups: string[]) {
  return new JsonLineProcess("writer", WRITER, [path, worker, String(tokens), groups.join(",")]);
}

describe("two OS processes writing into one SQLite file", () => {
  it("lose no token, never duplicate a group and never surface SQLITE_BUSY", async () => {
    expect(existsSync(VITE_NODE)).toBe(true);
    const path = join(temp.dir(), ".gofr-auth", "auth.db");
    const groups = Array.from({ length: 20 }, (_, i) => `team-${String(i).padStart(2, "0")}`);
    const writers = [startWriter(path, "a", 100, groups), startWriter(path, "b", 100, groups)];
    temp.onCleanup(() => {
      for (const writer of writers) if (writer.child.exitCode === null) writer.child.kill();
    });

    await Promise.all(writers.map((writer) => writer.next("started")));
    // Both create and migrate the (missing) file at the same time.
    for (const writer of writers) writer.send("open");
    // A worker that fails to open reports a result (with its error) instead.
    const opened = await Promise.all(writers.map((writer) => writer.next("opened", "result")));
    expect(opened).toEqual([
      { worker: "a", type: "opened" },
      { worker: "b", type: "opened" },
    ]);

    // Opened before any record exists: it must see every write without a reload.
    const observer = new SqliteAuthStore({ path });
    temp.onCleanup(() => observer.close());
    expect(await observer.listTokens()).toEqual([]);

    for (const writer of writers) writer.send("write");
    const results = (await Promise.all(
      writers.map((writer) => writer.next("result")),
    )) as unknown as WorkerResult[];
    expect(await Promise.all(writers.map((writer) => writer.exited))).toEqual([0, 0]);

    for (const result of results) {
      expect(result.errors, `worker ${result.worker}`).toEqual([]);
      expect(result.tokens).toHaveLength(100);
      // Each group insert either succeeded or got group_exists.
      expect([...result.created, ...result.existed].sort()).toEqual(groups);
    }
    const [a, b] = results as [WorkerResult, WorkerResult];
    // Exactly one process created each group.
    expect([...a.created, ...b.created].sort()).toEqual(groups);

    const tokens = await observer.listTokens();
    expect(tokens).toHaveLength(200);
    expect(new Set(tokens.map((token) => token.id))).toEqual(new Set([...a.tokens, ...b.tokens]));
    expect(tokens.filter((token) => token.name !== null)).toHaveLength(100);
    const stored = await observer.listGroups();
    expect(stored.map((group) => group.name)).toEqual(groups);
    // The stored group is the one its creator reported, not a second copy.
    for (const group of stored) {
      const creator = a.created.includes(group.name) ? "a" : "b";
      expect(group.description).toBe(`created by ${creator}`);
    }
  });
});
