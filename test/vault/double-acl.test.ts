/**
 * Vault's ACL algorithm (docs/vault-contract.md row 27, M3; hashicorp `vault/acl.go` `NewACL`,
 * `AllowOperation`, `CheckAllowedFromNonExactPaths`; docs `concepts/policies` "Priority
 * matching"): a token's policies merge into one ACL (capabilities add up only on identical
 * paths), then the exact rule, else the single highest-priority glob/`+` rule decides, and
 * `deny` counts only on that rule. Written with real HCL policies and tokens over HTTP, so
 * the same answers are expected from a real Vault.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { call, tokenWithPolicies } from "./double-http.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

describeContract("ACL evaluation", () => {
  let target: VaultTarget;
  let n = 0;
  /** `secret/data/<prefix>/acl/<label>-<n>`: the ACL path of a fresh folder. */
  let folder: (label: string) => { kv: string; acl: string };
  const as = (token: string, method: string, path: string, body?: unknown) =>
    call(target.url, method, path, { token, body });
  const token = (...policies: Record<string, readonly string[]>[]) =>
    tokenWithPolicies(target.url, target.rootToken, (label) => target.policyName(label), policies);
  /** Writes each key (root) so that a read the ACL allows answers 200. */
  const seed = async (kvFolder: string, ...keys: string[]) => {
    for (const key of keys) {
      const write = await as(target.rootToken, "POST", `secret/data/${kvFolder}/${key}`, {
        data: { key },
      });
      expect(write.status).toBe(200);
    }
  };
  const read = async (who: string, kvFolder: string, key: string) =>
    (await as(who, "GET", `secret/data/${kvFolder}/${key}`)).status;

  beforeAll(async () => {
    target = await startTarget();
    folder = (label) => {
      const kv = `${target.prefix}/acl/${label}-${++n}`;
      return { kv, acl: `secret/data/${kv}` };
    };
  });
  afterAll(() => target.stop());

  it("a longer glob in another policy wins and grants only its own capabilities", async () => {
    // The row's first observed case: a: gofr/* [read], b: gofr/config/* [list].
    const { kv, acl } = folder("longest");
    await seed(kv, "config/x", "other");
    const who = await token({ [`${acl}/*`]: ["read"] }, { [`${acl}/config/*`]: ["list"] });
    expect(await read(who, kv, "config/x")).toBe(403);
    expect(await read(who, kv, "other")).toBe(200);
  });

  it("an exact rule beats a glob deny from another policy", async () => {
    // The row's second observed case: deny on a glob + read on the exact path.
    const { kv, acl } = folder("exact");
    await seed(kv, "x", "y");
    const who = await token({ [`${acl}/*`]: ["deny"] }, { [`${acl}/x`]: ["read"] });
    expect(await read(who, kv, "x")).toBe(200);
    expect(await read(who, kv, "y")).toBe(403);
  });

  it("rules on the identical path add their capabilities up across policies", async () => {
    const { kv, acl } = folder("merge");
    await seed(kv, "x");
    const who = await token({ [`${acl}/*`]: ["read"] }, { [`${acl}/*`]: ["update"] });
    expect(await read(who, kv, "x")).toBe(200);
    const write = await as(who, "POST", `secret/data/${kv}/x`, { data: { v: 2 } });
    expect(write.status).toBe(200);
  });

  it("deny on the identical path in any policy removes that path's other capabilities", async () => {
    const { kv, acl } = folder("merge-deny");
    await seed(kv, "x");
    const who = await token({ [`${acl}/*`]: ["read"] }, { [`${acl}/*`]: ["deny"] });
    expect(await read(who, kv, "x")).toBe(403);
  });

  it("priority 1: the rule whose first wildcard comes later wins (foo/a* over foo/+)", async () => {
    const { kv, acl } = folder("first-wildcard");
    await seed(kv, "ab");
    const who = await token({ [`${acl}/+`]: ["deny"] }, { [`${acl}/a*`]: ["read"] });
    expect(await read(who, kv, "ab")).toBe(200);
    const reverse = await token({ [`${acl}/+`]: ["read"] }, { [`${acl}/a*`]: ["deny"] });
    expect(await read(reverse, kv, "ab")).toBe(403);
  });

  it("priority 2: a rule not ending in * beats one that does (foo/+/bar over foo/+/ba*)", async () => {
    const { kv, acl } = folder("prefix-loses");
    await seed(kv, "x/bar");
    const who = await token({ [`${acl}/+/bar`]: ["read"] }, { [`${acl}/+/ba*`]: ["deny"] });
    expect(await read(who, kv, "x/bar")).toBe(200);
    const reverse = await token({ [`${acl}/+/bar`]: ["deny"] }, { [`${acl}/+/ba*`]: ["read"] });
    expect(await read(reverse, kv, "x/bar")).toBe(403);
  });

  it("priority 3: more + segments lose (the docs' secret/* over secret/+/+/foo/*)", async () => {
    const { kv, acl } = folder("fewer-plus");
    await seed(kv, "a/b/foo/c");
    const who = await token({ [`${acl}/*`]: ["read"] }, { [`${acl}/+/+/foo/*`]: ["deny"] });
    expect(await read(who, kv, "a/b/foo/c")).toBe(200);
    const reverse = await token({ [`${acl}/*`]: ["deny"] }, { [`${acl}/+/+/foo/*`]: ["read"] });
    expect(await read(reverse, kv, "a/b/foo/c")).toBe(403);
  });

  it("priority 4: the longer rule wins (foo/+/bar/ba* over foo/+/bar/b*)", async () => {
    const { kv, acl } = folder("longer");
    await seed(kv, "x/bar/baz");
    const who = await token({ [`${acl}/+/bar/ba*`]: ["read"] }, { [`${acl}/+/bar/b*`]: ["deny"] });
    expect(await read(who, kv, "x/bar/baz")).toBe(200);
    const reverse = await token(
      { [`${acl}/+/bar/ba*`]: ["deny"] },
      { [`${acl}/+/bar/b*`]: ["read"] },
    );
    expect(await read(reverse, kv, "x/bar/baz")).toBe(403);
  });

  it("priority 5: at equal rank the lexicographically larger rule wins", async () => {
    // foo/+/x/+ > foo/+/+/y as strings ('x' > '+'); same wildcard position, count, length.
    const { kv, acl } = folder("lexical");
    await seed(kv, "a/x/y");
    const who = await token({ [`${acl}/+/x/+`]: ["read"] }, { [`${acl}/+/+/y`]: ["deny"] });
    expect(await read(who, kv, "a/x/y")).toBe(200);
    const reverse = await token({ [`${acl}/+/x/+`]: ["deny"] }, { [`${acl}/+/+/y`]: ["read"] });
    expect(await read(reverse, kv, "a/x/y")).toBe(403);
  });

  it("a list is checked on the path with a trailing slash, which a glob on the folder matches", async () => {
    const { kv } = folder("list");
    await seed(kv, "a");
    const who = await token({ [`secret/metadata/${kv}/*`]: ["list"] });
    const list = await as(who, "GET", `secret/metadata/${kv}?list=true`);
    expect(list.status).toBe(200);
    expect((await as(who, "GET", `secret/metadata/${kv}/a`)).status).toBe(403); // no read
  });
});
