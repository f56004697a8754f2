import { afterAll, beforeAll, expect, it } from "vitest";
import type { KvV2 } from "../../src/vault/kv.js";
import { rejection } from "./helpers.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

let target: VaultTarget;
let kv: KvV2;
let n = 0;
/** A fresh path per test, under the run's prefix. */
const fresh = (label: string) => `${target.prefix}/kv/${label}-${++n}`;

beforeAll(async () => {
  target = await startTarget();
  kv = target.client().kv("secret");
});
afterAll(() => target.stop());

// Rows of the contract in docs/vault.md (docs/vault-contract.md): each test pins Vault KV v2 behaviour
// from vault-plugin-secrets-kv v0.24.0 and passes against a real Vault.
describeContract("KV v2 client", () => {
  // Rows 1, 5: the read and write envelopes (kv path_data.go handleRead / handleWrite).
  it("writes and reads back data with version metadata", async () => {
    const path = fresh("round-trip");
    const written = await kv.write(path, { value: "one", note: "x" });
    expect(written.version).toBe(1);
    expect(written.createdAt.getTime()).not.toBeNaN();
    const read = await kv.read(path);
    expect(read.data).toEqual({ value: "one", note: "x" });
    expect(read.version).toBe(1);
    expect(read.createdAt.getTime()).toBe(written.createdAt.getTime());
    expect(read.deletedAt).toBeNull();
    expect(read.destroyed).toBe(false);
  });

  // Row 2: `?version=N`; an unknown version is 404 (kv path_data.go:190-199).
  it("keeps versions: latest by default, older ones with ?version=N", async () => {
    const path = fresh("versions");
    for (const value of ["v1", "v2", "v3"]) await kv.write(path, { value });
    expect((await kv.read(path)).data.value).toBe("v3");
    const second = await kv.read(path, { version: 2 });
    expect(second.data.value).toBe("v2");
    expect(second.version).toBe(2);
    const metadata = await kv.readMetadata(path);
    expect(metadata?.currentVersion).toBe(3);
    expect([...(metadata?.versions.keys() ?? [])].sort()).toEqual([1, 2, 3]);
    const missing = await rejection(kv.read(path, { version: 9 }));
    expect(missing.code).toBe("vault_not_found");
  });

  // Row 6: CAS mismatch is 400 "check-and-set parameter did not match" (kv path_data.go:267-290).
  it("check-and-set: cas 0 creates only, a stale version is refused", async () => {
    const path = fresh("cas");
    expect((await kv.write(path, { n: 1 }, { cas: 0 })).version).toBe(1);
    const again = await rejection(kv.write(path, { n: 2 }, { cas: 0 }));
    expect(again.code).toBe("vault_cas_mismatch");
    expect(again.message).toContain(`/v1/secret/data/${path}`);
    expect(again.message).toContain("400");
    expect((await kv.write(path, { n: 2 }, { cas: 1 })).version).toBe(2);
    const stale = await rejection(kv.write(path, { n: 3 }, { cas: 1 }));
    expect(stale.code).toBe("vault_cas_mismatch");
    expect((await kv.read(path)).data).toEqual({ n: 2 });
  });

  // Row 8: list through GET ?list=true; no keys is 404, which the client reads as [].
  it("lists keys and folders, and an empty folder as []", async () => {
    const base = fresh("list");
    await kv.write(`${base}/b`, { x: 1 });
    await kv.write(`${base}/a`, { x: 1 });
    await kv.write(`${base}/sub/c`, { x: 1 });
    expect((await kv.list(base)).sort()).toEqual(["a", "b", "sub/"]);
    expect(await kv.list(`${base}/sub`)).toEqual(["c"]);
    expect(await kv.list(`${base}/nothing-here`)).toEqual([]);
  });

  // Rows 4, 12, 14: deleted versions 404 with metadata; delete/undelete/destroy are 204.
  it("soft delete hides the latest version until undeleted; destroy removes the data", async () => {
    const path = fresh("delete");
    await kv.write(path, { value: "keep" });
    await kv.write(path, { value: "gone" });
    await kv.delete(path);

    const deleted = await rejection(kv.read(path));
    expect(deleted.code).toBe("vault_not_found");
    expect(deleted.details).toMatchObject({ deleted: true, version: 2 });
    expect(await kv.readOptional(path)).toBeUndefined();
    expect((await kv.read(path, { version: 1 })).data.value).toBe("keep");
    const metadata = await kv.readMetadata(path);
    expect(metadata?.versions.get(2)?.deletedAt).toBeInstanceOf(Date);
    expect(metadata?.versions.get(1)?.deletedAt).toBeNull();
    // A soft-deleted key is still listed: its metadata exists.
    expect(await kv.list(path.slice(0, path.lastIndexOf("/")))).toContain(
      path.slice(path.lastIndexOf("/") + 1),
    );

    await kv.undelete(path, [2]);
    expect((await kv.read(path)).data.value).toBe("gone");

    await kv.destroy(path, [2]);
    expect(await kv.readOptional(path)).toBeUndefined();
    expect((await kv.readMetadata(path))?.versions.get(2)?.destroyed).toBe(true);

    await kv.deleteVersions(path, [1]);
    expect(await kv.readOptional(path, { version: 1 })).toBeUndefined();
  });

  // Row 13: DELETE metadata removes every version; a missing key is 204 too.
  it("delete-metadata removes every version, and a cas 0 write starts again at 1", async () => {
    const path = fresh("purge");
    await kv.write(path, { value: "a" });
    await kv.write(path, { value: "b" });
    await kv.deleteMetadata(path);
    expect(await kv.readMetadata(path)).toBeUndefined();
    expect(await kv.readOptional(path)).toBeUndefined();
    expect((await kv.write(path, { value: "c" }, { cas: 0 })).version).toBe(1);
    await kv.deleteMetadata(`${path}-never-existed`); // absent: still fine
  });

  // Rows 9, 11: pruning on the next data write; oldest_version = pruned version + 1.
  it("keeps only max_versions versions", async () => {
    const path = fresh("max-versions");
    await target.client().request("POST", `secret/metadata/${path}`, { body: { max_versions: 2 } });
    for (const value of ["1", "2", "3"]) await kv.write(path, { value });
    const metadata = await kv.readMetadata(path);
    expect(metadata?.maxVersions).toBe(2);
    expect(metadata?.oldestVersion).toBe(2);
    expect([...(metadata?.versions.keys() ?? [])].sort()).toEqual([2, 3]);
    expect(await kv.readOptional(path, { version: 1 })).toBeUndefined();
    expect((await kv.read(path, { version: 2 })).data.value).toBe("2");
  });

  it("refuses paths that would leave the mount, without a request", async () => {
    for (const path of ["", "../sys/x", "a//b", "a/./b"]) {
      const error = await rejection(kv.read(path));
      expect(error.code).toBe("invalid_input");
    }
  });

  it("encodes path segments so names cannot inject a query", async () => {
    const path = fresh("odd name?version=1&x");
    await kv.write(path, { value: "ok" });
    await kv.write(path, { value: "ok2" });
    expect((await kv.read(path)).data.value).toBe("ok2");
  });
});
