/**
 * KV v2 details where the double follows Vault 1.20 (vault-plugin-secrets-kv v0.24.0 and
 * hashicorp `http/logical.go`), checked over HTTP with the root token. Contract tests: they
 * also run against a real Vault (see target.ts).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Answer, call, dataOf, errorsOf } from "./double-http.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

interface Metadata {
  current_version: number;
  oldest_version: number;
  max_versions: number;
  versions: Record<string, unknown>;
}

describeContract("KV v2 versions, metadata and list parsing", () => {
  let target: VaultTarget;
  let root: (method: string, path: string, body?: unknown) => Promise<Answer>;
  let n = 0;
  const fresh = (label: string) => `${target.prefix}/kv/${label}-${++n}`;
  const writeVersions = async (path: string, count: number, mount = "secret") => {
    for (let i = 1; i <= count; i++) {
      const write = await root("POST", `${mount}/data/${path}`, { data: { i } });
      expect(write.status).toBe(200);
    }
  };
  const metadata = async (path: string, mount = "secret") =>
    dataOf<Metadata>(await root("GET", `${mount}/metadata/${path}`));

  beforeAll(async () => {
    target = await startTarget();
    root = (method, path, body) =>
      call(target.url, method, path, { token: target.rootToken, body });
  });
  afterAll(() => target.stop());

  it("returns data.data with keys sorted as Go's encoding/json writes a map (row 17)", async () => {
    const path = fresh("order");
    await root("POST", `secret/data/${path}`, {
      data: { zeta: 1, alpha: 2, Mid: 3, beta: { y: 1, x: 2 } },
    });
    const read = await root("GET", `secret/data/${path}`);
    const data = dataOf<{ data: Record<string, Record<string, unknown>> }>(read).data;
    // Byte order: upper case sorts before lower case.
    expect(Object.keys(data)).toEqual(["Mid", "alpha", "beta", "zeta"]);
    expect(Object.keys(data.beta as object)).toEqual(["x", "y"]);
    expect(read.text.indexOf('"Mid"')).toBeLessThan(read.text.indexOf('"zeta"'));
  });

  it("oldest_version stays 0 until the window first fills, then is versionToDelete+1 (row 9)", async () => {
    const path = fresh("oldest");
    expect((await root("POST", `secret/metadata/${path}`, { max_versions: 3 })).status).toBe(204);
    await writeVersions(path, 2);
    expect(await metadata(path)).toMatchObject({ current_version: 2, oldest_version: 0 });
    await writeVersions(path, 1); // version 3: 3 - 0 >= 3, nothing to delete but oldest moves
    const full = await metadata(path);
    expect(full.oldest_version).toBe(1);
    expect(Object.keys(full.versions)).toEqual(["1", "2", "3"]);
    await writeVersions(path, 1); // version 4 prunes version 1
    const pruned = await metadata(path);
    expect(pruned.oldest_version).toBe(2);
    expect(Object.keys(pruned.versions)).toEqual(["2", "3", "4"]);
    expect((await root("GET", `secret/data/${path}?version=1`)).status).toBe(404);
  });

  it("a metadata write never prunes; the next data write does (row 10)", async () => {
    const path = fresh("no-prune");
    await writeVersions(path, 5);
    expect((await root("POST", `secret/metadata/${path}`, { max_versions: 2 })).status).toBe(204);
    const before = await metadata(path);
    expect(before).toMatchObject({ max_versions: 2, oldest_version: 0 });
    expect(Object.keys(before.versions)).toEqual(["1", "2", "3", "4", "5"]);
    await writeVersions(path, 1);
    const after = await metadata(path);
    expect(after.oldest_version).toBe(5);
    expect(Object.keys(after.versions)).toEqual(["5", "6"]);
  });

  it("a metadata write with no settings creates no key (row 10)", async () => {
    const folder = fresh("phantom");
    expect((await root("POST", `secret/metadata/${folder}/ghost`, {})).status).toBe(204);
    expect((await root("GET", `secret/metadata/${folder}/ghost`)).status).toBe(404);
    expect((await root("GET", `secret/metadata/${folder}?list=true`)).status).toBe(404);
    await root("POST", `secret/metadata/${folder}/real`, { custom_metadata: { a: "b" } });
    const list = await root("GET", `secret/metadata/${folder}?list=true`);
    expect(dataOf<{ keys: string[] }>(list).keys).toEqual(["real"]);
  });

  it("a GET of data/ with list=true is a list there, which KV does not handle: 405 (row 15)", async () => {
    const path = fresh("data-list");
    await writeVersions(path, 1);
    const answer = await root("GET", `secret/data/${path}?list=true`);
    expect(answer.status).toBe(405);
    expect(errorsOf(answer).join(" ")).toContain("unsupported operation");
  });

  it("parses list= as Go's strconv.ParseBool; anything else is 400 (row 8)", async () => {
    const base = fresh("list-bool");
    await writeVersions(`${base}/child`, 1);
    for (const yes of ["1", "t", "T", "TRUE", "true", "True"]) {
      const list = await root("GET", `secret/metadata/${base}?list=${yes}`);
      expect(list.status, `list=${yes}`).toBe(200);
      expect(dataOf<{ keys: string[] }>(list).keys).toEqual(["child"]);
    }
    for (const no of ["0", "f", "F", "FALSE", "false", "False"]) {
      // Not a list: a read of the metadata at the folder path, where no key lives.
      expect((await root("GET", `secret/metadata/${base}?list=${no}`)).status, no).toBe(404);
      const read = await root("GET", `secret/metadata/${base}/child?list=${no}`);
      expect(dataOf<Metadata>(read).current_version, no).toBe(1);
    }
    for (const bad of ["yes", "on", "tRuE", "2"]) {
      const answer = await root("GET", `secret/metadata/${base}?list=${bad}`);
      expect(answer.status, `list=${bad}`).toBe(400);
      expect(answer.body).toEqual({ errors: [] });
    }
  });

  it("delete and undelete say 'No version number provided', destroy says it in lower case (row 14)", async () => {
    const path = fresh("no-versions");
    await writeVersions(path, 1);
    for (const [operation, message] of [
      ["delete", "No version number provided"],
      ["undelete", "No version number provided"],
      ["destroy", "no version number provided"],
    ] as const) {
      const answer = await root("POST", `secret/${operation}/${path}`, { versions: [] });
      expect(answer.status, operation).toBe(400);
      expect(errorsOf(answer), operation).toEqual([message]);
    }
  });

  it("a version of 0 or below reads the current version (row 2)", async () => {
    const path = fresh("version-zero");
    await writeVersions(path, 2);
    for (const version of ["0", "-1"]) {
      const read = await root("GET", `secret/data/${path}?version=${version}`);
      expect(read.status).toBe(200);
      expect(dataOf<{ data: { i: number } }>(read).data.i).toBe(2);
    }
  });
});

describeContract("KV v2 effective max_versions", () => {
  let target: VaultTarget;
  let mount: string;
  let root: (method: string, path: string, body?: unknown) => Promise<Answer>;

  beforeAll(async () => {
    target = await startTarget();
    root = (method, path, body) =>
      call(target.url, method, path, { token: target.rootToken, body });
    mount = `${target.prefix}-kv`; // a mount of its own: the test changes its config
    const mounted = await root("POST", `sys/mounts/${mount}`, {
      type: "kv",
      options: { version: "2" },
    });
    expect(mounted.status).toBe(204);
    await untilWritable(root, mount);
  });
  afterAll(async () => {
    await root("DELETE", `sys/mounts/${mount}`);
    await target.stop();
  });

  it("keeps max(key max_versions, mount max_versions) versions (row 11)", async () => {
    expect((await root("POST", `${mount}/config`, { max_versions: 5 })).status).toBe(204);
    await root("POST", `${mount}/metadata/k`, { max_versions: 3 });
    for (let i = 1; i <= 6; i++) await root("POST", `${mount}/data/k`, { data: { i } });
    const meta = dataOf<Metadata>(await root("GET", `${mount}/metadata/k`));
    expect(meta.oldest_version).toBe(2);
    expect(Object.keys(meta.versions)).toEqual(["2", "3", "4", "5", "6"]);
  });
});

/**
 * A new KV v2 mount on a real Vault is briefly busy upgrading its storage layout; the
 * double is writable at once (no wait happens there).
 */
async function untilWritable(
  root: (method: string, path: string, body?: unknown) => Promise<Answer>,
  mount: string,
): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = await root("POST", `${mount}/data/probe`, { data: { ok: true } });
    if (probe.status === 200) {
      await root("DELETE", `${mount}/metadata/probe`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`mount ${mount} never became writable`);
}
