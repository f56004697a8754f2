/**
 * store-checked: AuthService.verifyToken(token) with its default store check (record exists,
 * active, same groups) against the stateless verification of the same token, all with warm
 * caches (key loaded, verified-token cache on). Stores: in memory and the embedded SQLite
 * file (in a temporary folder, removed afterwards). Every case gets a fresh copy of the token
 * per call (`freshCopy`), as from a new request.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshCopy, MINT_OPTIONS, newSecret } from "./lib/fixtures.mjs";
import { compare, measured, pick, ratioOf, target, withRatios } from "./lib/harness.mjs";

export const name = "store-checked";
export const title = "Store-checked vs stateless verification, warm caches (ops/s)";

export async function run({ lib, testing, options, only }) {
  const secret = newSecret();
  const folder = mkdtempSync(join(tmpdir(), "gofr-auth-bench-"));
  const sqliteStore = new lib.SqliteAuthStore({
    path: join(folder, "auth.db"),
    logger: lib.silentLogger,
  });
  try {
    const memory = testing.createTestAuthService({ secret });
    const sqliteService = (verifiedCacheSize) =>
      new lib.AuthService({
        store: sqliteStore,
        secretProvider: testing.makeTestSecretProvider(secret),
        logger: lib.silentLogger,
        verifiedCacheSize,
      });
    const sqlite = sqliteService(1000);
    const sqliteCold = sqliteService(0);
    // Same store and key as `memory`, verified-token cache off.
    const memoryCold = new lib.AuthService({
      store: memory.store,
      secretProvider: memory.provider,
      logger: lib.silentLogger,
      verifiedCacheSize: 0,
    });
    const { token: memoryToken } = await memory.auth.createToken(
      await withGroup(memory.auth, MINT_OPTIONS),
    );
    const { token: sqliteToken } = await sqlite.createToken(await withGroup(sqlite, MINT_OPTIONS));
    const stateless = { stateless: true };

    const cases = [
      {
        name: "stateless",
        description: "verifyToken({ stateless: true }), verified cache on (hits), fresh string",
        fn: () => memory.auth.verifyToken(freshCopy(memoryToken), stateless),
      },
      {
        name: "store-memory",
        description: "verifyToken(), MemoryAuthStore, verified cache on (hits), fresh string",
        fn: () => memory.auth.verifyToken(freshCopy(memoryToken)),
      },
      {
        name: "store-sqlite",
        description:
          "verifyToken(), SqliteAuthStore (file, page cache warm), cache hits, fresh string",
        fn: () => sqlite.verifyToken(freshCopy(sqliteToken)),
      },
      {
        name: "stateless-nocache",
        description: "verifyToken({ stateless: true }), verifiedCacheSize: 0, fresh string",
        fn: () => memoryCold.verifyToken(freshCopy(memoryToken), stateless),
      },
      {
        name: "store-memory-nocache",
        description: "verifyToken(), MemoryAuthStore, verifiedCacheSize: 0, fresh string",
        fn: () => memoryCold.verifyToken(freshCopy(memoryToken)),
      },
      {
        name: "store-sqlite-nocache",
        description: "verifyToken(), SqliteAuthStore, verifiedCacheSize: 0, fresh string",
        fn: () => sqliteCold.verifyToken(freshCopy(sqliteToken)),
      },
    ];
    for (const entry of cases) await entry.fn();
    const results = withRatios(await compare(pick(cases, only, "stateless"), options), "stateless");
    const targets = [];
    for (const [label, caseName, baseline] of [
      ["memory", "store-memory", "stateless"],
      ["SQLite", "store-sqlite", "stateless"],
      ["memory, cache off", "store-memory-nocache", "stateless-nocache"],
      ["SQLite, cache off", "store-sqlite-nocache", "stateless-nocache"],
    ]) {
      if (measured(results, caseName, baseline)) {
        targets.push(
          target(
            `store-checked (${label}) / stateless`,
            ratioOf(results, caseName, baseline),
            ">=",
            0.8,
          ),
        );
      }
    }
    return {
      baseline: "stateless",
      cases: results,
      targets,
      notes: [
        "the store check is never cached by AuthService: a revocation is seen on the next call",
        "a fresh copy of the token per call in every case (~7 ns each, the same for all)",
        "the -nocache targets compare with 'stateless-nocache' (the table's ratio column is to 'stateless')",
      ],
    };
  } finally {
    await sqliteStore.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Creates the token's non-reserved groups in the service's store. */
async function withGroup(auth, mintOptions) {
  for (const group of mintOptions.groups) {
    if (!(await auth.groups.getByName(group))) await auth.groups.create(group);
  }
  return mintOptions;
}
