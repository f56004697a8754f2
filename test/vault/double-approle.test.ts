/**
 * AppRole admin paths as `docker/vault-init.sh` uses them (docs/vault-contract.md row 32; approle
 * `path_role.go` `pathRoleRoleIDRead`, `handleRoleSecretIDCommon`, `pathRoleSecretIDList`,
 * `pathRoleSecretIDLookupUpdate`, `pathRoleSecretIDDestroyUpdateDelete`,
 * `pathRoleSecretIDAccessorDestroyUpdateDelete`), the auth mount list, and unknown routes
 * (row 37). Contract tests: AppRole is enabled at a mount of the test's own.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Answer, call, dataOf, errorsOf, tokenWithPolicies } from "./double-http.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

describeContract("AppRole role and secret_id admin", () => {
  let target: VaultTarget;
  let mount: string;
  let root: (method: string, path: string, body?: unknown) => Promise<Answer>;
  let n = 0;
  const role = async () => {
    const name = `role-${++n}`;
    expect((await root("POST", `auth/${mount}/role/${name}`, { token_ttl: "1h" })).status).toBe(
      204,
    );
    return `auth/${mount}/role/${name}`;
  };
  const newSecretId = async (rolePath: string) =>
    dataOf<{ secret_id: string; secret_id_accessor: string }>(
      await root("POST", `${rolePath}/secret-id`),
    );
  const accessors = async (rolePath: string) => {
    const list = await root("GET", `${rolePath}/secret-id?list=true`);
    return list.status === 404 ? [] : dataOf<{ keys: string[] }>(list).keys;
  };

  beforeAll(async () => {
    target = await startTarget();
    root = (method, path, body) =>
      call(target.url, method, path, { token: target.rootToken, body });
    mount = `${target.prefix}-approle`;
    expect((await root("POST", `sys/auth/${mount}`, { type: "approle" })).status).toBe(204);
  });
  afterAll(async () => {
    await root("DELETE", `sys/auth/${mount}`);
    await target.stop();
  });

  it("role-id and secret-id of a missing role answer 404", async () => {
    const roleId = await root("GET", `auth/${mount}/role/ghost/role-id`);
    expect(roleId).toMatchObject({ status: 404, body: { errors: [] } });
    const secretId = await root("POST", `auth/${mount}/role/ghost/secret-id`);
    expect(secretId.status).toBe(404);
    expect(errorsOf(secretId).join(" ")).toContain('role "ghost" does not exist');
  });

  it("lists secret_id accessors, as the secret-id creation returned them; none is 404", async () => {
    const path = await role();
    expect((await root("GET", `${path}/secret-id?list=true`)).status).toBe(404);
    const first = await newSecretId(path);
    const second = await newSecretId(path);
    expect(first.secret_id_accessor).not.toBe(second.secret_id_accessor);
    expect((await accessors(path)).sort()).toEqual(
      [first.secret_id_accessor, second.secret_id_accessor].sort(),
    );
    expect(JSON.stringify(await accessors(path))).not.toContain(first.secret_id);
  });

  it("looks a secret_id up (200 with its accessor); an unknown one answers 204", async () => {
    const path = await role();
    const issued = await newSecretId(path);
    const lookup = await root("POST", `${path}/secret-id/lookup`, { secret_id: issued.secret_id });
    expect(lookup.status).toBe(200);
    expect(dataOf(lookup)).toMatchObject({
      secret_id_accessor: issued.secret_id_accessor,
      secret_id_num_uses: 0,
      secret_id_ttl: 0,
    });
    const unknown = await root("POST", `${path}/secret-id/lookup`, { secret_id: "not-issued" });
    expect(unknown.status).toBe(204);
  });

  it("destroys by secret_id and by accessor (204); the destroyed ones no longer log in", async () => {
    const path = await role();
    const roleId = dataOf<{ role_id: string }>(await root("GET", `${path}/role-id`)).role_id;
    const byId = await newSecretId(path);
    const byAccessor = await newSecretId(path);
    const kept = await newSecretId(path);
    const destroy = await root("POST", `${path}/secret-id/destroy`, { secret_id: byId.secret_id });
    expect(destroy.status).toBe(204);
    const viaAccessor = await root("POST", `${path}/secret-id-accessor/destroy`, {
      secret_id_accessor: byAccessor.secret_id_accessor,
    });
    expect(viaAccessor.status).toBe(204);
    expect(await accessors(path)).toEqual([kept.secret_id_accessor]);
    const login = (secretId: string) =>
      call(target.url, "POST", `auth/${mount}/login`, {
        body: { role_id: roleId, secret_id: secretId },
      });
    expect((await login(byId.secret_id)).status).toBe(400);
    expect((await login(byAccessor.secret_id)).status).toBe(400);
    expect((await login(kept.secret_id)).status).toBe(200);
    // Destroying an unknown secret_id is a no-op; an unknown accessor is an error.
    expect((await root("POST", `${path}/secret-id/destroy`, { secret_id: "gone" })).status).toBe(
      204,
    );
    const missing = await root("POST", `${path}/secret-id-accessor/destroy`, {
      secret_id_accessor: "no-such-accessor",
    });
    expect(missing.status).toBe(500);
    expect(errorsOf(missing).join(" ")).toContain(
      'failed to find accessor entry for secret_id_accessor: "no-such-accessor"',
    );
  });

  it("GET sys/auth lists the auth mounts with their accessors, at the top level too", async () => {
    const auth = await root("GET", "sys/auth");
    expect(auth.status).toBe(200);
    const mounts = dataOf<Record<string, { type: string; accessor: string }>>(auth);
    expect(mounts["token/"]).toMatchObject({ type: "token" });
    expect(mounts["token/"]?.accessor).toMatch(/^auth_token_[0-9a-f]{8}$/);
    expect(mounts[`${mount}/`]?.type).toBe("approle");
    expect(mounts[`${mount}/`]?.accessor).toMatch(/^auth_approle_[0-9a-f]{8}$/);
    expect((auth.body as Record<string, unknown>)[`${mount}/`]).toEqual(mounts[`${mount}/`]);
  });
});

describeContract("unknown routes", () => {
  let target: VaultTarget;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.stop());

  it("are 404 'no handler for route' for root, and 403 for a token without rights there", async () => {
    const asRoot = await call(target.url, "GET", "nope/thing", { token: target.rootToken });
    expect(asRoot.status).toBe(404);
    expect(errorsOf(asRoot)[0]).toContain('no handler for route "nope/thing"');
    const limited = await tokenWithPolicies(
      target.url,
      target.rootToken,
      (label) => target.policyName(label),
      [{ [`secret/data/${target.prefix}/*`]: ["read"] }],
    );
    const denied = await call(target.url, "GET", "nope/thing", { token: limited });
    expect(denied.status).toBe(403);
  });
});
