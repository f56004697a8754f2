/**
 * Issue 12 item 6: `doctor` reports drift between the Vault store's name indexes and the
 * records: entries without their record or pointing at a record of another name, records
 * missing from the index, names held twice. The service is GOFR_DIG, configured through its
 * environment, with the auth prefix of the test (so these checks also run on a real Vault).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { doctor, type Finding } from "../../src/config/doctor.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { checkNameIndexes } from "../../src/store/index-drift.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { groupToWire, tokenRecordToWire } from "../../src/store/wire.js";
import type { VaultDouble } from "../../src/testing/vault-double.js";
import { group, pythonGroup, storeFixture, token } from "../vault/store-fixtures.js";
import {
  describeContract,
  describeDoubleOnly,
  startTarget,
  type VaultTarget,
} from "../vault/target.js";

const PREFIX = "GOFR_DIG";

let target: VaultTarget;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix } = storeFixture(() => target);
const kv = () => target.client().kv();

function run(authPrefix: string, token = target.rootToken): Promise<Finding[]> {
  return doctor({
    envPrefix: PREFIX,
    env: {
      [`${PREFIX}_VAULT_URL`]: target.url,
      [`${PREFIX}_VAULT_TOKEN`]: token,
      [`${PREFIX}_VAULT_PATH_PREFIX`]: authPrefix,
    },
    inContainer: false,
  });
}

/** The index findings (name_indexes_* and *_index_*), as `level:code`. */
function indexCodes(list: Finding[]): string[] {
  return list
    .filter((finding) => /(^name_indexes_|_index_)/.test(finding.code))
    .map((finding) => `${finding.level}:${finding.code}`);
}

function find(list: Finding[], code: string): Finding {
  const found = list.find((finding) => finding.code === code);
  if (!found) throw new Error(`no finding ${code} in ${indexCodes(list).join(", ")}`);
  return found;
}

/** An auth prefix with groups public and billing and a named token, all indexed. */
async function cleanPlane(label: string) {
  const prefix = freshPrefix(label);
  const store = makeStore(prefix);
  const billing = group("billing");
  const record = token({ name: "ci-bot" });
  await store.insertGroup(group("public"));
  await store.insertGroup(billing);
  await store.insertToken(record);
  const groupIndex = `${prefix}/groups/_index/names`;
  const tokenIndex = `${prefix}/tokens/_index/names`;
  return { prefix, billing, record, groupIndex, tokenIndex };
}

/** Rewrites the index without `name` and without check-and-set, as the Python fleet can. */
async function dropEntry(indexPath: string, name: string) {
  const { [name]: _dropped, ...rest } = (await kv().read(indexPath)).data;
  return kv().write(indexPath, rest);
}

describeContract("doctor: name index drift", () => {
  it("name_indexes_ok when every entry names its record and every record is indexed", async () => {
    const { prefix } = await cleanPlane("clean");
    expect(indexCodes(await run(prefix))).toEqual(["ok:name_indexes_ok"]);
  });

  it("group_index_unindexed: a group a writer without check-and-set dropped from the index", async () => {
    const { prefix, billing, groupIndex } = await cleanPlane("dropped");
    const { version } = await dropEntry(groupIndex, "billing");
    const list = await run(prefix);
    expect(indexCodes(list)).toEqual(["warn:group_index_unindexed"]);
    const finding = find(list, "group_index_unindexed");
    expect(finding.message).toBe(
      `Groups missing from the group name index secret/${groupIndex} (v${version}): billing (${billing.id})`,
    );
    expect(finding.fix).toContain("gofr-auth groups create <name>");
    expect(finding.fix).toContain(`vault kv put -cas=${version} secret/${groupIndex} @names.json`);
  });

  it("group_index_dangling and group_index_mismatch: entries without their record", async () => {
    const { prefix, billing, groupIndex } = await cleanPlane("dangling");
    const ghost = randomUUID();
    const index = (await kv().read(groupIndex)).data;
    await kv().write(groupIndex, { ...index, ghost, alias: billing.id });
    const list = await run(prefix);
    expect(indexCodes(list)).toEqual(["warn:group_index_dangling", "warn:group_index_mismatch"]);
    const dangling = find(list, "group_index_dangling");
    expect(dangling.message).toContain(
      `maps names to records that do not exist: ghost -> ${ghost}`,
    );
    expect(dangling.fix).toMatch(/the name stays taken; if no create is running, remove/);
    expect(find(list, "group_index_mismatch").message).toContain(
      `alias -> ${billing.id} (named 'billing')`,
    );
  });

  it("group_index_duplicate: a second group record with an indexed name", async () => {
    const { prefix, billing } = await cleanPlane("twins");
    const twin = randomUUID();
    await kv().write(`${prefix}/groups/${twin}`, pythonGroup(twin, "billing"));
    const list = await run(prefix);
    expect(indexCodes(list)).toEqual(["warn:group_index_duplicate"]);
    const finding = find(list, "group_index_duplicate");
    expect(finding.message).toContain(`billing (${twin}; the index uses ${billing.id})`);
    expect(finding.fix).toContain(`vault kv metadata delete secret/${prefix}/groups/<id>`);
  });

  it("token_index_dangling and token_index_unindexed: our token index against the records", async () => {
    const { prefix, tokenIndex } = await cleanPlane("tokens");
    const legacy = token({ name: "legacy-svc" }); // written by the Python fleet: no entry
    await kv().write(`${prefix}/tokens/${legacy.id}`, { ...tokenRecordToWire(legacy) });
    const gone = randomUUID();
    const index = (await kv().read(tokenIndex)).data;
    await kv().write(tokenIndex, { ...index, "gone-bot": gone });
    const list = await run(prefix);
    expect(indexCodes(list)).toEqual(["warn:token_index_dangling", "warn:token_index_unindexed"]);
    expect(find(list, "token_index_dangling").message).toContain(`gone-bot -> ${gone}`);
    const unindexed = find(list, "token_index_unindexed");
    expect(unindexed.message).toContain(`legacy-svc (${legacy.id})`);
    expect(unindexed.fix).toContain("costs time, not correctness");
  });

  it("token_index_duplicate: a second token record with an indexed name", async () => {
    const { prefix, record } = await cleanPlane("token-twins");
    const twin = token({ name: "ci-bot" });
    await kv().write(`${prefix}/tokens/${twin.id}`, { ...tokenRecordToWire(twin) });
    const finding = find(await run(prefix), "token_index_duplicate");
    expect(finding.message).toBe(
      `Token names held by more than one record: ci-bot (${twin.id}; the index uses ${record.id})`,
    );
    expect(finding.fix).toContain("gofr-auth tokens revoke <id>");
  });

  it("no token index (only the Python fleet wrote tokens): nothing to drift", async () => {
    const prefix = freshPrefix("python-only");
    await makeStore(prefix).insertGroup(group("public"));
    const legacy = token({ name: "legacy-svc" });
    await kv().write(`${prefix}/tokens/${legacy.id}`, { ...tokenRecordToWire(legacy) });
    expect(indexCodes(await run(prefix))).toEqual(["ok:name_indexes_ok"]);
  });

  it("long lists are cut after ten names", async () => {
    const prefix = freshPrefix("many");
    await makeStore(prefix).insertGroup(group("public"));
    for (let i = 0; i < 12; i += 1) {
      const item = group(`team-${String(i).padStart(2, "0")}`);
      await kv().write(`${prefix}/groups/${item.id}`, { ...groupToWire(item) });
    }
    const finding = find(await run(prefix), "group_index_unindexed");
    expect(finding.message).toContain("team-09");
    expect(finding.message).not.toContain("team-10");
    expect(finding.message).toMatch(/, and 2 more$/);
  });
});

describeDoubleOnly(
  "doctor: name index drift with the fleet's identities",
  "sets policies and the signing secret in the double",
  () => {
    it("a read-only service identity sees the drift, and doctor changes nothing", async () => {
      const { prefix, groupIndex } = await cleanPlane("service");
      const { version } = await dropEntry(groupIndex, "billing");
      const vault = target.double as VaultDouble;
      const policy = target.policyName("doctor-service");
      vault.setPolicy(policy, {
        [`secret/data/${prefix}/*`]: ["read"],
        [`secret/metadata/${prefix}/*`]: ["list", "read"],
      });
      const list = await run(prefix, vault.createToken({ policies: [policy] }));
      expect(indexCodes(list)).toEqual(["warn:group_index_unindexed"]);
      expect((await kv().read(groupIndex)).version).toBe(version); // nothing written
    });

    it("name_indexes_unchecked: an identity that may not read the auth paths", async () => {
      const { prefix } = await cleanPlane("denied");
      const vault = target.double as VaultDouble;
      const policy = target.policyName("doctor-none");
      vault.setPolicy(policy, { "secret/data/unrelated/*": ["read"] });
      const token = vault.createToken({ policies: [policy] });
      const list = await run(prefix, token);
      const finding = find(list, "name_indexes_unchecked");
      expect(finding.level).toBe("warn");
      expect(finding.message).toMatch(/permission denied/i);
      expect(finding.message).not.toContain(token);
    });

    it("the hinted `gofr-auth groups create <name>` puts the dropped entry back", async () => {
      const { prefix, billing, groupIndex } = await cleanPlane("repair");
      await dropEntry(groupIndex, "billing");
      (target.double as VaultDouble).putSecret(SHARED_SECRET_NAME, {
        value: `doctor-index-secret-${randomUUID()}`,
      });
      const err: string[] = [];
      const code = await runCli(["groups", "create", "billing"], {
        env: {
          GOFR_VAULT_URL: target.url,
          GOFR_VAULT_TOKEN: target.rootToken,
          GOFR_VAULT_PATH_PREFIX: prefix,
        },
        io: { stdout: () => {}, stderr: (text) => err.push(text) },
      });
      expect(code).not.toBe(0);
      expect(err.join("")).toContain("Group 'billing' already exists");
      expect((await kv().read(groupIndex)).data.billing).toBe(billing.id);
      expect(indexCodes(await run(prefix))).toEqual(["ok:name_indexes_ok"]);
    });
  },
);

it("stores without name indexes (memory, SQLite) have nothing to check", async () => {
  expect(await checkNameIndexes(new MemoryAuthStore())).toBeUndefined();
});
