/**
 * Token records carry the issuer and key label that minted them (issue 14 item 1), through
 * every store: memory, SQLite (wire JSON) and Vault (wire JSON in KV v2). On the wire they
 * are two extra fields, `issuer` and `key_label`, written only when known: the Python fleet's
 * `TokenRecord.from_dict` reads its eight named fields and ignores others
 * (gofr-common:src/gofr_common/auth/tokens.py), and a record it wrote has neither field,
 * which means "shared key, any issuer".
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import { silentLogger } from "../../src/log.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import type { AuthStore } from "../../src/store/store.js";
import { tokenRecordFromWire, tokenRecordToWire } from "../../src/store/wire.js";
import { makeTestSecretProvider } from "../../src/testing/index.js";
import type { TokenRecord } from "../../src/tokens/record.js";
import { useTempDirs } from "../sqlite/helpers.js";
import { storeFixture } from "../vault/store-fixtures.js";
import { startTarget, type VaultTarget } from "../vault/target.js";

// A record exactly as the Python fleet writes it: its eight fields, no issuer.
const PYTHON_TOKEN = {
  id: "3f2b8c1e-8d9a-4b7c-9e6f-1a2b3c4d5e6f",
  name: "prod-api-server",
  groups: ["admin", "finance"],
  status: "active",
  created_at: "2026-02-17T10:11:12.123456",
  expires_at: "2026-03-19T10:11:12.123456",
  revoked_at: null,
  fingerprint: null,
};
const PYTHON_FIELDS = Object.keys(PYTHON_TOKEN).sort();

describe("wire format of the issuer fields", () => {
  it("writes issuer and key_label next to the Python fleet's fields, unchanged", () => {
    const record = tokenRecordFromWire(PYTHON_TOKEN, "p");
    const wire = tokenRecordToWire({ ...record, issuer: "deposito", keyLabel: "deposito" });
    expect(wire).toMatchObject({ issuer: "deposito", key_label: "deposito" });
    const { issuer: _i, key_label: _k, ...pythonPart } = wire;
    expect(Object.keys(pythonPart).sort()).toEqual(PYTHON_FIELDS);
    expect(tokenRecordFromWire(wire, "p")).toMatchObject({
      issuer: "deposito",
      keyLabel: "deposito",
    });
  });

  it("a Python record reads back without the fields and is written back without them", () => {
    const record = tokenRecordFromWire(PYTHON_TOKEN, "p");
    expect(record.issuer).toBeUndefined();
    expect(record.keyLabel).toBeUndefined();
    expect(Object.keys(tokenRecordToWire(record)).sort()).toEqual(PYTHON_FIELDS);
    // null (a tool writing the keys explicitly) means the same as absent
    const nulls = tokenRecordFromWire({ ...PYTHON_TOKEN, issuer: null, key_label: null }, "p");
    expect(nulls.issuer).toBeUndefined();
    expect(nulls.keyLabel).toBeUndefined();
  });

  it("refuses issuer fields of the wrong type as a malformed record", () => {
    for (const field of ["issuer", "key_label"]) {
      expect(() => tokenRecordFromWire({ ...PYTHON_TOKEN, [field]: 7 }, "p")).toThrow(
        expect.objectContaining({ code: "store_unavailable" }),
      );
    }
  });
});

const temp = useTempDirs();
let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());
const vault = storeFixture(() => target);

const STORES: Array<[string, () => AuthStore]> = [
  ["memory", () => new MemoryAuthStore()],
  [
    "sqlite",
    () => {
      const store = new SqliteAuthStore({ path: join(temp.dir(), "auth.db") });
      temp.onCleanup(() => store.close());
      return store;
    },
  ],
  ["vault", () => vault.makeStore(vault.freshPrefix("binding"))],
];

describe.each(STORES)("%s store", (_name, makeStore) => {
  it("keeps a minted record's issuer and key label, through revocation too", async () => {
    const store = makeStore();
    const auth = new AuthService({
      store,
      secretProvider: makeTestSecretProvider(),
      logger: silentLogger,
    });
    const minted = await auth.forIssuer("bodega").createToken({ groups: ["public"] });
    const read = (await store.getToken(minted.record.id)) as TokenRecord;
    expect(read).toMatchObject({ issuer: "bodega", keyLabel: "shared" });
    await auth.revokeToken(minted.record.id);
    expect(await store.getToken(minted.record.id)).toMatchObject({
      status: "revoked",
      issuer: "bodega",
      keyLabel: "shared",
    });
    const listed = (await store.listTokens()).find((record) => record.id === minted.record.id);
    expect(listed).toMatchObject({ issuer: "bodega", keyLabel: "shared" });
  });

  it("the binding read back from the store refuses a token of another issuer", async () => {
    const store = makeStore();
    const auth = new AuthService({
      store,
      secretProvider: makeTestSecretProvider(),
      logger: silentLogger,
    });
    const bodega = auth.tokens.forIssuer("bodega");
    const stored = await bodega.mint({ groups: ["public"] });
    await store.insertToken(stored.record);
    expect((await auth.verifyToken(stored.token)).issuer).toBe("bodega");
    // A token id whose stored record says the operator minted it, presented by bodega.
    const replayed = await bodega.mint({ groups: ["public"] });
    await store.insertToken({ ...replayed.record, issuer: "gofr-auth" });
    await expect(auth.verifyToken(replayed.token)).rejects.toMatchObject({
      code: "token_issuer_mismatch",
      message: expect.stringContaining("its record was minted by 'gofr-auth'"),
    });
  });
});
