/**
 * Issue 17 item 8: `doctor` checks the store's integrity. The embedded store's file gets
 * SQLite's `quick_check` (a partly damaged file is an error with a fix, not a pass); on
 * Vault the name-index drift (doctor-index.test.ts) gets its one safe repair under
 * `doctor --fix`: group names a writer without check-and-set dropped are put back.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { doctor, type Finding } from "../../src/config/doctor.js";
import type { VaultDouble } from "../../src/testing/vault-double.js";
import { group, storeFixture } from "../vault/store-fixtures.js";
import {
  describeContract,
  describeDoubleOnly,
  startTarget,
  type VaultTarget,
} from "../vault/target.js";

const codes = (list: Finding[], pattern: RegExp) =>
  list.filter((finding) => pattern.test(finding.code)).map((f) => `${f.level}:${f.code}`);

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const code = await runCli(args, {
    env,
    io: { stdout: (text) => out.push(text), stderr: (text) => out.push(text) },
  });
  return { code, output: out.join("") };
}

describe("doctor: SQLite quick_check", () => {
  const dir = mkdtempSync(join(tmpdir(), "gofr-doctor-integrity-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** An initialised store with some tokens, so the token index spans its own page. */
  async function store(name: string): Promise<NodeJS.ProcessEnv> {
    const env = { GOFR_AUTH_STORE: join(dir, name) };
    expect((await cli(["init"], env)).code).toBe(0);
    for (let i = 0; i < 5; i += 1) await cli(["tokens", "create", "-g", "admin"], env);
    return env;
  }

  /** Overwrites the root page of the tokens_by_status index, as a torn write would. */
  function damageTokenIndex(path: string): void {
    const db = new Database(path);
    db.pragma("wal_checkpoint(TRUNCATE)"); // everything in the main file
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const { rootpage } = db
      .prepare("SELECT rootpage FROM sqlite_master WHERE name = 'tokens_by_status'")
      .get() as { rootpage: number };
    db.close();
    const fd = openSync(path, "r+");
    try {
      writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (rootpage - 1) * pageSize);
    } finally {
      closeSync(fd);
    }
  }

  it("a sound file: sqlite_integrity_ok", async () => {
    const env = await store("sound.db");
    const list = await doctor({ envPrefix: "GOFR", env });
    expect(codes(list, /^sqlite_integrity/)).toEqual(["ok:sqlite_integrity_ok"]);
  });

  it("a partly damaged file: an error naming the damage, with a fix; the CLI exits 1", async () => {
    const env = await store("damaged.db");
    damageTokenIndex(env.GOFR_AUTH_STORE as string);
    const list = await doctor({ envPrefix: "GOFR", env });
    expect(codes(list, /^sqlite_integrity/)).toEqual(["error:sqlite_integrity"]);
    const finding = list.find((f) => f.code === "sqlite_integrity") as Finding;
    expect(finding.message).toContain(`SQLite quick_check of ${env.GOFR_AUTH_STORE} found damage`);
    expect(finding.fix).toContain(".recover");
    // Everything else still reads: only the integrity check sees it.
    expect(codes(list, /^(secret_ok|reserved_groups_ok)$/)).toEqual([
      "ok:secret_ok",
      "ok:reserved_groups_ok",
    ]);
    const run = await cli(["doctor"], env);
    expect(run.code).toBe(1);
    expect(run.output).toContain("ERROR sqlite_integrity:");
  });

  it("--help says what --fix repairs; --fix with --offline is a usage error", async () => {
    const help = await cli(["doctor", "--help"], {});
    expect(help.output).toContain("--fix repairs only what is safe");
    expect(help.output).toContain("group_index_unindexed  puts each dropped group name back");
    expect((await cli(["doctor", "--fix", "--offline"], {})).code).toBe(2);
  });
});

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix } = storeFixture(() => target);
const kv = () => target.client().kv();

async function droppedGroup(label: string) {
  const prefix = freshPrefix(label);
  const store = makeStore(prefix);
  const billing = group("billing");
  await store.insertGroup(group("public"));
  await store.insertGroup(billing);
  const index = `${prefix}/groups/_index/names`;
  const { billing: _dropped, ...rest } = (await kv().read(index)).data;
  await kv().write(index, rest); // no check-and-set, as the Python fleet writes it
  return { prefix, billing, index };
}

const vaultEnv = (prefix: string, token = target.rootToken) => ({
  GOFR_VAULT_URL: target.url,
  GOFR_VAULT_TOKEN: token,
  GOFR_VAULT_PATH_PREFIX: prefix,
});

describeContract("doctor --fix: Vault name indexes", () => {
  it("puts a dropped group name back, says so, and then finds no drift", async () => {
    const { prefix, billing, index } = await droppedGroup("fix");
    const list = await doctor({ envPrefix: "GOFR", env: vaultEnv(prefix), fix: true });
    expect(codes(list, /(^name_indexes_|_index_)/)).toEqual([
      "ok:group_index_repaired",
      "ok:name_indexes_ok",
    ]);
    expect(list.find((f) => f.code === "group_index_repaired")?.message).toBe(
      "Put back into the group name index: billing",
    );
    expect((await kv().read(index)).data.billing).toBe(billing.id);
  });

  it("the CLI's doctor --fix does the same", async () => {
    const { prefix, billing, index } = await droppedGroup("cli-fix");
    const run = await cli(["doctor", "--fix"], vaultEnv(prefix));
    expect(run.output).toContain(
      "ok    group_index_repaired: Put back into the group name index: billing",
    );
    expect((await kv().read(index)).data.billing).toBe(billing.id);
  });

  it("without --fix nothing is written", async () => {
    const { prefix, index } = await droppedGroup("no-fix");
    const { version } = await kv().read(index);
    const list = await doctor({ envPrefix: "GOFR", env: vaultEnv(prefix) });
    expect(codes(list, /_index_/)).toEqual(["warn:group_index_unindexed"]);
    expect((await kv().read(index)).version).toBe(version);
  });
});

describeDoubleOnly("doctor --fix with a read-only identity", "sets policies in the double", () => {
  it("says it could not repair and how, and still reports the drift", async () => {
    const { prefix, index } = await droppedGroup("read-only");
    const vault = target.double as VaultDouble;
    const policy = target.policyName("doctor-fix-read-only");
    vault.setPolicy(policy, {
      [`secret/data/${prefix}/*`]: ["read"],
      [`secret/metadata/${prefix}/*`]: ["list", "read"],
    });
    const token = vault.createToken({ policies: [policy] });
    const { version } = await kv().read(index);
    const list = await doctor({ envPrefix: "GOFR", env: vaultEnv(prefix, token), fix: true });
    expect(codes(list, /_index_/)).toEqual([
      "warn:group_index_unrepaired",
      "warn:group_index_unindexed",
    ]);
    expect(list.find((f) => f.code === "group_index_unrepaired")?.fix).toContain("admin AppRole");
    expect((await kv().read(index)).version).toBe(version);
  });
});
