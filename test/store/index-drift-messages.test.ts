/**
 * The catalogue of name index drift findings (`doctor`'s `*_index_*`): for each kind of
 * index and each problem, the code, the names, the exact message and the exact hint an
 * operator reads and acts on. Spelled out here independently of `index-drift.ts`, so a
 * blanked message, a hint of the wrong problem or the wrong kind's wording fails a case.
 */
import { describe, expect, it } from "vitest";
import { findIndexDrift, type IndexKind, type IndexSnapshot } from "../../src/store/index-drift.js";

const GROUP_INDEX = "secret/gofr/auth/groups/_index/names";
const TOKEN_INDEX = "secret/gofr/auth/tokens/_index/names";

/** The repair every hint ends with, for the index at `path` whose KV version is 7. */
const rewrite = (path: string) =>
  `write the index back with check-and-set: save the data of 'vault kv get -format=json ${path}', edit it, then 'vault kv put -cas=7 ${path} @names.json'`;

function snapshot(
  kind: IndexKind,
  names: Record<string, string>,
  records: IndexSnapshot["records"],
): IndexSnapshot {
  const folder = kind === "group" ? "secret/gofr/auth/groups" : "secret/gofr/auth/tokens";
  return { kind, cliPath: `${folder}/_index/names`, cliFolder: folder, names, version: 7, records };
}

describe("index drift findings: every problem of the group index", () => {
  // billing is indexed; alias points at billing's record; ghost at nothing; ops is missing;
  // a second record is named billing.
  const drift = findIndexDrift(
    snapshot("group", { billing: "g-1", alias: "g-1", ghost: "g-9" }, [
      { id: "g-1", name: "billing" },
      { id: "g-2", name: "ops" },
      { id: "g-3", name: "billing" },
    ]),
  );

  it("reports the four problems in a fixed order, each with its names", () => {
    expect(drift.map((item) => [item.code, item.kind, item.problem, item.names])).toEqual([
      ["group_index_dangling", "group", "dangling", ["ghost"]],
      ["group_index_mismatch", "group", "mismatch", ["alias"]],
      ["group_index_unindexed", "group", "unindexed", ["ops"]],
      ["group_index_duplicate", "group", "duplicate", ["billing"]],
    ]);
  });

  it("dangling: entries whose record does not exist, and how to remove them", () => {
    expect(drift[0]).toMatchObject({
      message: `The group name index ${GROUP_INDEX} (v7) maps names to records that do not exist: ghost -> g-9`,
      hint: `a create that stopped between claiming the name and writing the record leaves such an entry, and the name stays taken; if no create is running, remove the entries: ${rewrite(GROUP_INDEX)}`,
    });
  });

  it("mismatch: entries pointing at a record of another name are corrupt", () => {
    expect(drift[1]).toMatchObject({
      message: `The group name index ${GROUP_INDEX} (v7) maps names to records that carry another name: alias -> g-1 (named 'billing')`,
      hint: `names never change, so these entries are corrupt; point each at the record of that name or remove it: ${rewrite(GROUP_INDEX)}`,
    });
  });

  it("unindexed: groups a writer without check-and-set dropped, and the lookup that repairs them", () => {
    expect(drift[2]).toMatchObject({
      message: `Groups missing from the group name index ${GROUP_INDEX} (v7): ops (g-2)`,
      hint: `a writer that skips check-and-set (the Python fleet) wrote the index over these entries; lookups by name still find the groups, and an admin identity puts the entry back on its next lookup (\`gofr-auth groups create <name>\` answers that the group exists and repairs it); or add the entries by hand: ${rewrite(GROUP_INDEX)}`,
    });
  });

  it("duplicate: a group name held twice, and how to delete the other record", () => {
    expect(drift[3]).toMatchObject({
      message: "Group names held by more than one record: billing (g-3; the index uses g-1)",
      hint: "creates of one name raced with a writer that skips check-and-set; tokens carry group names and lookups use the indexed record, so delete the other with a Vault admin identity: vault kv metadata delete secret/gofr/auth/groups/<id>",
    });
  });
});

describe("index drift findings: every problem of the token index", () => {
  // As for groups, plus an entry pointing at a token record without a name.
  const drift = findIndexDrift(
    snapshot("token", { "ci-bot": "t-1", alias: "t-1", ghost: "t-9", old: "t-5" }, [
      { id: "t-1", name: "ci-bot" },
      { id: "t-2", name: "deployer" },
      { id: "t-3", name: "ci-bot" },
      { id: "t-5", name: null },
    ]),
  );

  it("reports the four problems in a fixed order, each with its names", () => {
    expect(drift.map((item) => [item.code, item.names])).toEqual([
      ["token_index_dangling", ["ghost"]],
      ["token_index_mismatch", ["alias", "old"]],
      ["token_index_unindexed", ["deployer"]],
      ["token_index_duplicate", ["ci-bot"]],
    ]);
  });

  it("dangling and mismatch name the token index; an unnamed record shows an empty name", () => {
    expect(drift[0]?.message).toBe(
      `The token name index ${TOKEN_INDEX} (v7) maps names to records that do not exist: ghost -> t-9`,
    );
    expect(drift[1]).toMatchObject({
      message: `The token name index ${TOKEN_INDEX} (v7) maps names to records that carry another name: alias -> t-1 (named 'ci-bot'), old -> t-5 (named '')`,
      hint: `names never change, so these entries are corrupt; point each at the record of that name or remove it: ${rewrite(TOKEN_INDEX)}`,
    });
  });

  it("unindexed: named tokens the Python fleet wrote cost lookup time, not correctness", () => {
    expect(drift[2]).toMatchObject({
      message: `Named tokens missing from the token name index ${TOKEN_INDEX} (v7): deployer (t-2)`,
      hint: `tokens the Python fleet creates are never indexed; lookups by name scan the records, so this costs time, not correctness; to index them add the entries: ${rewrite(TOKEN_INDEX)}`,
    });
  });

  it("duplicate: a token name held twice, and the revocation of the other", () => {
    expect(drift[3]).toMatchObject({
      message: "Token names held by more than one record: ci-bot (t-3; the index uses t-1)",
      hint: "the index decides which record the name finds; revoke the other if it is not meant to be used: gofr-auth tokens revoke <id>",
    });
  });
});

describe("index drift findings: long lists", () => {
  /** The unindexed finding for `count` groups team-00, team-01, ... missing from the index. */
  function unindexed(count: number) {
    const records = Array.from({ length: count }, (_, i) => {
      const n = String(i).padStart(2, "0");
      return { id: `g-${n}`, name: `team-${n}` };
    });
    const [finding] = findIndexDrift(snapshot("group", {}, records));
    return finding;
  }

  it("ten names are all shown, with no 'and 0 more'", () => {
    const finding = unindexed(10);
    expect(finding?.message).toMatch(/: team-00 \(g-00\), .*, team-09 \(g-09\)$/);
    expect(finding?.message).not.toContain("more");
    expect(finding?.names).toHaveLength(10);
  });

  it("past ten, the first ten are shown and the rest counted; names lists them all", () => {
    const finding = unindexed(11);
    expect(finding?.message).toMatch(/, team-09 \(g-09\), and 1 more$/);
    expect(finding?.message).not.toContain("team-10");
    expect(finding?.names).toHaveLength(11);
  });
});
