/**
 * `health()` (docs/vault-contract.md row 29, M7): every state `GET sys/health` reports with its default
 * codes is an answer, not an error, including 474 (a standby that cannot reach the active
 * node) and 530 (removed from the Raft cluster), both since Vault 1.19 (hashicorp
 * `http/sys_health.go` `getSysHealth`; api-docs/system/health).
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { VaultDouble } from "../../src/testing/vault-double.js";
import type { VaultNodeState } from "../../src/vault/client.js";
import { VaultClient } from "../../src/vault/client.js";
import {
  DOUBLE_ROOT_TOKEN,
  describeContract,
  describeDoubleOnly,
  startTarget,
  testClientDefaults,
  type VaultTarget,
} from "./target.js";

describeContract("health() on a serving node", () => {
  let target: VaultTarget;
  beforeEach(async () => {
    target = await startTarget();
  });
  afterEach(() => target.stop());

  it("an active, unsealed Vault is state 'active' with its clock", async () => {
    // A dev server is a single active node: 200 (getSysHealth, activeCode).
    const health = await target.client().health();
    expect(health).toMatchObject({
      status: 200,
      state: "active",
      sealed: false,
      initialized: true,
    });
    expect(Math.abs((health.serverTime?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });
});

describeDoubleOnly("health() in every node state", "sets the double's node state", () => {
  let vault: VaultDouble;
  let client: VaultClient;

  beforeEach(async () => {
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
    client = new VaultClient({
      address: await vault.start(),
      auth: { method: "token", token: DOUBLE_ROOT_TOKEN },
      ...testClientDefaults(),
      maxRetries: 3,
    });
  });
  afterEach(async () => {
    await client.close();
    await vault.close();
  });

  // Default codes of getSysHealth; 474 and 530 are Vault 1.19+.
  it.each([
    ["standby", 429],
    ["performance-standby", 473],
    ["dr-secondary", 472],
    ["ha-unhealthy", 474],
    ["removed", 530],
    ["uninitialized", 501],
  ] as const)("%s answers %i and is reported, not thrown nor retried", async (mode, status) => {
    vault.setHealth(mode);
    const health = await client.health();
    expect(health.status).toBe(status);
    expect(health.state).toBe(mode satisfies VaultNodeState);
    expect(vault.countRequests({ path: "/v1/sys/health" })).toBe(1);
  });

  it("sealed answers 503 and is reported as 'sealed'", async () => {
    vault.seal();
    expect(await client.health()).toMatchObject({ status: 503, state: "sealed", sealed: true });
  });

  it("the node's fields come through: initialized, standby, version", async () => {
    vault.setHealth("uninitialized");
    expect(await client.health()).toMatchObject({ initialized: false, state: "uninitialized" });
    vault.setHealth("standby");
    expect(await client.health()).toMatchObject({ standby: true, version: expect.any(String) });
  });
});
