/**
 * AppRole user lockout (docs/vault-contract.md row 20, M2; hashicorp `vault/request_handling.go`
 * `handleLoginRequest`, `isUserLocked`, `failedUserLoginProcess`, `RegisterAuth`; docs
 * `concepts/user-lockout`; `sys/locked-users` in `vault/logical_system_user_lockout.go`).
 */
import { afterEach, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import type { UserLockoutOptions } from "../../src/testing/index.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { type Answer, call, dataOf } from "./double-http.js";
import { DOUBLE_ROOT_TOKEN, describeDoubleOnly } from "./target.js";

interface LockedUsers {
  total: number;
  by_namespace: {
    namespace_id: string;
    counts: number;
    mount_accessors: { mount_accessor: string; counts: number; alias_identifiers: string[] }[];
  }[];
}

describeDoubleOnly("AppRole user lockout", "judged on the double's clock", () => {
  let vault: VaultDouble;
  let url: string;
  let clock: ManualClock;
  let creds: { roleId: string; secretId: string };

  const start = async (userLockout?: UserLockoutOptions) => {
    clock = new ManualClock(Date.UTC(2026, 0, 15, 10, 0, 0));
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, clock: clock.now, userLockout });
    url = await vault.start();
    creds = vault.addAppRole("svc", { policies: [] });
  };
  const login = (roleId: string, secretId: string): Promise<Answer> =>
    call(url, "POST", "auth/approle/login", { body: { role_id: roleId, secret_id: secretId } });
  const good = () => login(creds.roleId, creds.secretId);
  const wrong = async (times: number) => {
    for (let i = 0; i < times; i++) {
      expect((await login(creds.roleId, `wrong-${i}`)).status).toBe(400);
    }
  };
  const root = (method: string, path: string, body?: unknown) =>
    call(url, method, path, { token: DOUBLE_ROOT_TOKEN, body });

  afterEach(() => vault.close());

  it("5 wrong secret_ids lock the role_id: even the right secret_id gets 403 permission denied", async () => {
    await start();
    await wrong(4);
    expect((await good()).status).toBe(200); // 4 failures: not locked (and now reset)
    await wrong(5);
    const refused = await good();
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ errors: ["permission denied"] });
    // While locked, wrong secret_ids are refused the same way, before any check.
    expect((await login(creds.roleId, "wrong-again")).status).toBe(403);
  });

  it("the lock lasts 15 minutes by the double's clock", async () => {
    await start();
    await wrong(5);
    clock.advanceSeconds(899);
    expect((await good()).status).toBe(403);
    clock.advanceSeconds(1);
    expect((await good()).status).toBe(200);
  });

  it("an unknown role_id and a missing secret_id are not counted", async () => {
    await start();
    for (let i = 0; i < 6; i++) {
      expect((await login("not-a-role-id", "x")).status).toBe(400);
      expect((await login(creds.roleId, "")).status).toBe(400);
    }
    expect((await good()).status).toBe(200);
    expect(vault.lockedUsers()).toEqual([]);
  });

  it("failures older than the counter reset (15 min) start the count again", async () => {
    await start();
    await wrong(4);
    clock.advanceSeconds(901);
    await wrong(4); // counts 1..4 again
    expect((await good()).status).toBe(200);
  });

  it("sys/locked-users lists the role_id under the mount accessor that GET sys/auth shows", async () => {
    await start();
    await wrong(5);
    const auth = await root("GET", "sys/auth");
    const accessor = (dataOf(auth)["approle/"] as { accessor: string }).accessor;
    expect(accessor).toMatch(/^auth_approle_[0-9a-f]{8}$/);
    expect(vault.authMountAccessor()).toBe(accessor);
    const locked = dataOf<LockedUsers>(await root("GET", "sys/locked-users"));
    expect(locked.total).toBe(1);
    expect(locked.by_namespace).toEqual([
      {
        namespace_id: "root",
        namespace_path: "",
        counts: 1,
        mount_accessors: [
          { mount_accessor: accessor, counts: 1, alias_identifiers: [creds.roleId] },
        ],
      },
    ]);
    expect(vault.lockedUsers()).toEqual([
      { mountAccessor: accessor, aliasIdentifier: creds.roleId },
    ]);

    const unlock = await root("POST", `sys/locked-users/${accessor}/unlock/${creds.roleId}`);
    expect(unlock.status).toBe(204);
    expect((await good()).status).toBe(200);
    expect(dataOf<LockedUsers>(await root("GET", "sys/locked-users")).total).toBe(0);
    // Idempotent: unlocking a user that is not locked is fine too.
    expect((await root("POST", `sys/locked-users/${accessor}/unlock/nobody`)).status).toBe(204);
  });

  it("unlockUsers() frees every locked user", async () => {
    await start();
    await wrong(5);
    vault.unlockUsers();
    expect((await good()).status).toBe(200);
  });

  it("follows the userLockout option: threshold, duration, counter reset, disable", async () => {
    await start({ threshold: 2, durationSeconds: 60, counterResetSeconds: 30 });
    await wrong(1);
    clock.advanceSeconds(31);
    await wrong(1); // the first failure was reset: count 1
    expect((await good()).status).toBe(200);
    await wrong(2);
    expect((await good()).status).toBe(403);
    clock.advanceSeconds(60);
    expect((await good()).status).toBe(200);
    await vault.close();

    await start({ disable: true });
    await wrong(10);
    expect((await good()).status).toBe(200);
  });
});
