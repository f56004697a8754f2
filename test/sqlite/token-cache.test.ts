import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { SqliteSecretSource } from "../../src/secrets/sqlite.js";
import { openAuthDatabase } from "../../src/sqlite/database.js";
import { SqliteAuthStore, type SqliteAuthStoreOptions } from "../../src/store/sqlite.js";
import { tokenRecordToWire } from "../../src/store/wire.js";
import type { TokenRecord } from "../../src/tokens/record.js";
import { JsonLineProcess, VITE_NODE } from "../support/json-line-process.js";
import { makeToken, randomSecret, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const PEER = fileURLToPath(new URL("./fixtures/peer.ts", import.meta.url));

afterEach(() => {
  vi.restoreAllMocks();
});

function dbPath(): string {
  return join(temp.dir(), "auth.db");
}

function openStore(options: SqliteAuthStoreOptions): SqliteAuthStore {
  const store = new SqliteAuthStore(options);
  temp.onCleanup(() => store.close());
  return store;
}

/** How many records `fn` parsed from JSON (0: every read was served by the cache). */
async function parsesDuring(fn: () => Promise<unknown>): Promise<number> {
  const parse = vi.spyOn(JSON, "parse");
  try {
    await fn();
    return parse.mock.calls.length;
  } finally {
    parse.mockRestore();
  }
}

/**
 * Rewrites a stored record on the store's own handle WITHOUT `AuthDatabase.write`: neither
 * `data_version` nor the handle's write count moves, so only a read that really goes to the
 * table sees it. That tells cached reads from table reads.
 */
function rawRewrite(store: SqliteAuthStore, record: TokenRecord): void {
  const changes = store.database
    .statement("UPDATE tokens SET record = ? WHERE id = ?")
    .run(JSON.stringify(tokenRecordToWire(record)), record.id).changes;
  expect(changes).toBe(1);
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

/** `fixtures/peer.ts` in its own OS process, answering one command at a time. */
class Peer extends JsonLineProcess {
  constructor(path: string) {
    super("peer", PEER, [path]);
  }

  /** Sends one command and returns its answer (an `error` answer fails the test). */
  async ask(command: string): Promise<Record<string, unknown>> {
    this.send(command);
    const answer = await this.next();
    if (answer.type === "error") throw new Error(`peer: ${String(answer.message)}`);
    return answer;
  }
}

describe("SqliteAuthStore token cache", () => {
  it("a revocation in another OS process is seen on the very next getToken, both ways", async () => {
    expect(existsSync(VITE_NODE)).toBe(true);
    const path = dbPath();
    const store = openStore({ path });
    const mine = makeToken();
    const theirs = makeToken();
    await store.insertToken(mine);
    await store.insertToken(theirs);

    const peer = new Peer(path);
    temp.onCleanup(() => peer.stop());
    expect(await peer.next()).toEqual({ type: "ready" });

    // This process's cache holds the record: the second read parses nothing.
    expect((await store.getToken(mine.id))?.status).toBe("active");
    expect(await parsesDuring(() => store.getToken(mine.id))).toBe(0);

    // The peer (say, the CLI) revokes it; the answer arrives after its commit.
    expect(await peer.ask(`revoke ${mine.id}`)).toEqual({ type: "revoked" });
    expect((await store.getToken(mine.id))?.status).toBe("revoked");

    // The other way round: the peer's cache holds `theirs`, this process revokes it.
    expect(await peer.ask(`get ${theirs.id}`)).toMatchObject({ found: true, status: "active" });
    expect(await peer.ask(`get ${theirs.id}`)).toMatchObject({ found: true, status: "active" });
    const current = (await store.getToken(theirs.id)) as TokenRecord;
    await store.updateToken({ ...current, status: "revoked", revokedAt: new Date() });
    expect(await peer.ask(`get ${theirs.id}`)).toMatchObject({ found: true, status: "revoked" });

    // A token the peer inserts is found at once (misses are not cached).
    const fresh = makeToken().id;
    expect(await store.getToken(fresh)).toBeUndefined();
    expect(await peer.ask(`insert ${fresh}`)).toEqual({ type: "inserted" });
    expect((await store.getToken(fresh))?.status).toBe("active");
  }, 30_000);

  it("two connections in one process see each other's commits on the next getToken", async () => {
    const path = dbPath();
    const service = openStore({ path });
    const cli = openStore({ path }); // its own connection to the same file
    const record = makeToken();
    await cli.insertToken(record);

    expect((await service.getToken(record.id))?.status).toBe("active");
    expect(await parsesDuring(() => service.getToken(record.id))).toBe(0);
    await cli.updateToken({ ...record, status: "revoked", revokedAt: new Date() });
    expect((await service.getToken(record.id))?.status).toBe("revoked");

    // And the writer's own cache, warm before, follows its own write.
    await cli.getToken(record.id);
    await service.updateToken({ ...record, groups: ["admin", "finance"] });
    expect((await cli.getToken(record.id))?.groups).toEqual(["admin", "finance"]);
  });

  it("stores sharing one handle see each other's writes (data_version cannot tell)", async () => {
    const database = openAuthDatabase({ path: dbPath() });
    temp.onCleanup(() => database.close());
    const service = openStore({ database });
    const other = openStore({ database });
    const record = makeToken();
    await other.insertToken(record);

    expect((await service.getToken(record.id))?.status).toBe("active");
    expect(await parsesDuring(() => service.getToken(record.id))).toBe(0);
    await other.updateToken({ ...record, status: "revoked", revokedAt: new Date() });
    expect((await service.getToken(record.id))?.status).toBe("revoked");

    // The other store's write is not forgotten when this store writes before reading again.
    await other.updateToken({ ...record, groups: ["admin", "finance"] });
    await service.insertToken(makeToken());
    expect((await service.getToken(record.id))?.groups).toEqual(["admin", "finance"]);

    // Any write on the handle counts, e.g. the secret source sharing it.
    expect(await parsesDuring(() => service.getToken(record.id))).toBe(0);
    const secrets = new SqliteSecretSource({ database });
    temp.onCleanup(() => secrets.close());
    await secrets.writeIfAbsent("jwt-signing-secret", randomSecret());
    expect(await parsesDuring(() => service.getToken(record.id))).toBe(1);
  });

  it("serves repeated reads from the cache; tokenCacheSize 0 reads the table every time", async () => {
    const path = dbPath();
    const cached = openStore({ path });
    const uncached = openStore({ path, tokenCacheSize: 0 });
    const record = makeToken();
    await cached.insertToken(record);
    await uncached.getToken(record.id);
    await cached.getToken(record.id);

    const renamed = { ...record, name: "renamed" };
    rawRewrite(cached, renamed);
    rawRewrite(uncached, renamed);
    expect((await cached.getToken(record.id))?.name).toBeNull();
    expect((await uncached.getToken(record.id))?.name).toBe("renamed");
  });

  it("keeps at most tokenCacheSize records, dropping the oldest first", async () => {
    const store = openStore({ path: dbPath(), tokenCacheSize: 2 });
    const [a, b, c] = [makeToken(), makeToken(), makeToken()];
    for (const record of [a, b, c]) await store.insertToken(record);
    for (const record of [a, b, c]) await store.getToken(record.id); // a is dropped for c

    for (const record of [a, b, c]) rawRewrite(store, { ...record, name: "rewritten" });
    expect((await store.getToken(a.id))?.name).toBe("rewritten"); // read again (drops b)
    expect((await store.getToken(c.id))?.name).toBeNull(); // still cached
    expect((await store.getToken(b.id))?.name).toBe("rewritten");
  });

  it("its own update drops only that record; a failed write loses nothing", async () => {
    const store = openStore({ path: dbPath() });
    const [a, b] = [makeToken(), makeToken()];
    for (const record of [a, b]) await store.insertToken(record);
    for (const record of [a, b]) await store.getToken(record.id);

    rawRewrite(store, { ...b, name: "rewritten" }); // unseen while b stays cached
    await store.updateToken({ ...a, status: "revoked", revokedAt: new Date() });
    expect((await store.getToken(a.id))?.status).toBe("revoked");
    expect((await store.getToken(b.id))?.name).toBeNull();

    // A write that fails (rolled back) keeps the other records cached, and still works.
    expect(await codeOf(store.updateToken(makeToken()))).toBe("invalid_input");
    expect(await parsesDuring(() => store.getToken(b.id))).toBe(0);
    expect((await store.getToken(a.id))?.status).toBe("revoked");
  });

  it("hands out copies: mutating a cached result changes no later read", async () => {
    const store = openStore({ path: dbPath() });
    const record = makeToken();
    await store.insertToken(record);
    const first = (await store.getToken(record.id)) as TokenRecord;
    const second = (await store.getToken(record.id)) as TokenRecord;
    expect(second).not.toBe(first);
    first.groups.push("finance");
    first.status = "revoked";
    first.createdAt.setTime(0);
    first.expiresAt?.setTime(0);
    second.groups.length = 0;
    expect(await store.getToken(record.id)).toEqual(record);
  });

  it("rejects a tokenCacheSize that is not a whole number >= 0", () => {
    for (const tokenCacheSize of [-1, 1.5, Number.NaN]) {
      expect(() => new SqliteAuthStore({ path: dbPath(), tokenCacheSize })).toThrow(
        expect.objectContaining({ code: "config_invalid" }),
      );
    }
  });
});
