/**
 * `sys/health` and standby behaviour (docs/vault-contract.md rows 29, 41; hashicorp
 * `http/sys_health.go` `getSysHealth`, `http/handler.go` `respondStandby`).
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import type { VaultHealthMode } from "../../src/testing/index.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { call, errorsOf } from "./double-http.js";
import {
  DOUBLE_ROOT_TOKEN,
  describeContract,
  describeDoubleOnly,
  startTarget,
  type VaultTarget,
} from "./target.js";

describeContract("sys/health on an active node", () => {
  let target: VaultTarget;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.stop());

  it("answers 200 with Vault's fields, cluster identity included", async () => {
    const health = await call(target.url, "GET", "sys/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      initialized: true,
      sealed: false,
      standby: false,
      performance_standby: false,
      replication_dr_mode: "disabled",
      enterprise: false,
    });
    expect((health.body as { cluster_id: unknown }).cluster_id).toEqual(expect.any(String));
  });

  it("activecode overrides the active status; the other codes do not apply", async () => {
    expect((await call(target.url, "GET", "sys/health?activecode=299")).status).toBe(299);
    const others = "standbycode=201&sealedcode=202&uninitcode=203&drsecondarycode=204";
    expect((await call(target.url, "GET", `sys/health?${others}`)).status).toBe(200);
  });

  it("an unparseable code or boolean parameter is 400 with an empty errors list", async () => {
    for (const query of ["sealedcode=abc", "activecode=", "standbyok=maybe", "perfstandbyok=2"]) {
      const answer = await call(target.url, "GET", `sys/health?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body, query).toEqual({ errors: [] });
    }
  });

  it("HEAD answers the status with no body", async () => {
    const response = await fetch(`${target.url}/v1/sys/health?activecode=299`, { method: "HEAD" });
    expect(response.status).toBe(299);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.text()).toBe("");
  });
});

describeDoubleOnly("sys/health in every node state", "the node state is the double's", () => {
  let vault: VaultDouble;
  let url: string;
  const health = async (query = "") => call(url, "GET", `sys/health${query}`);
  beforeEach(async () => {
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
    url = await vault.start();
  });
  afterEach(() => vault.close());

  it.each([
    ["active", 200, { standby: false, performance_standby: false }],
    ["standby", 429, { standby: true, performance_standby: false }],
    ["performance-standby", 473, { standby: true, performance_standby: true }],
    ["dr-secondary", 472, { replication_dr_mode: "secondary" }],
    ["ha-unhealthy", 474, { standby: true, ha_connection_healthy: false }],
    ["removed", 530, { removed_from_cluster: true, sealed: true }],
    ["uninitialized", 501, { initialized: false, sealed: true }],
  ] as const)("%s answers %i", async (mode, status, fields) => {
    vault.setHealth(mode as VaultHealthMode);
    expect(vault.health).toBe(mode);
    const answer = await health();
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject(fields);
  });

  it("standbyok turns a standby into 200 but not a performance standby; perfstandbyok does", async () => {
    vault.setHealth("standby");
    expect((await health("?standbyok=true")).status).toBe(200);
    expect((await health("?standbycode=299")).status).toBe(299);
    vault.setHealth("performance-standby");
    expect((await health("?standbyok=true")).status).toBe(473);
    expect((await health("?perfstandbyok=1")).status).toBe(200);
    expect((await health("?performancestandbycode=298")).status).toBe(298);
  });

  it("HA unhealthy wins over standbyok and perfstandbyok; haunhealthycode overrides it", async () => {
    vault.setHealth("ha-unhealthy");
    expect((await health("?standbyok=true&perfstandbyok=true")).status).toBe(474);
    expect((await health("?haunhealthycode=299")).status).toBe(299);
  });

  it("a removed node answers removedcode even when sealed; an uninitialized one uninitcode", async () => {
    vault.seal();
    vault.setHealth("removed");
    expect((await health()).status).toBe(530);
    expect((await health("?removedcode=299&sealedcode=298")).status).toBe(299);
    vault.setHealth("uninitialized");
    expect((await health("?uninitcode=200")).status).toBe(200);
    expect((await health("?drsecondarycode=299")).status).toBe(501);
  });

  it("removed and uninitialized nodes answer every other request 503 sealed", async () => {
    for (const mode of ["removed", "uninitialized"] as const) {
      vault.setHealth(mode);
      const read = await call(url, "GET", "secret/data/x", { token: DOUBLE_ROOT_TOKEN });
      expect(read.status, mode).toBe(503);
      expect(errorsOf(read), mode).toEqual(["Vault is sealed"]);
      const seal = await call(url, "GET", "sys/seal-status");
      expect(seal.body, mode).toMatchObject({ sealed: true, initialized: mode === "removed" });
    }
  });

  it("sealed: 503, standby true and no cluster name or id (they are omitempty)", async () => {
    vault.seal();
    const answer = await health();
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ sealed: true, standby: true, initialized: true });
    expect(answer.body).not.toHaveProperty("cluster_name");
    expect(answer.body).not.toHaveProperty("cluster_id");
    expect((await health("?sealedcode=299")).status).toBe(299);
  });

  it("HEAD in standby answers 429 with no body", async () => {
    vault.setHealth("standby");
    const response = await fetch(`${url}/v1/sys/health`, { method: "HEAD" });
    expect(response.status).toBe(429);
    expect(await response.text()).toBe("");
  });

  it("refuses an unknown mode", () => {
    expect(() => vault.setHealth("leader" as VaultHealthMode)).toThrow(/unknown health mode/);
  });
});

describeDoubleOnly("a standby node", "the node state is the double's", () => {
  let vault: VaultDouble;
  let url: string;
  afterEach(() => vault.close());

  it("with activeAddress, redirects everything but health and seal-status with 307", async () => {
    vault = new VaultDouble({
      rootToken: DOUBLE_ROOT_TOKEN,
      activeAddress: "https://vault-active.example:8200/ignored/path",
    });
    url = await vault.start();
    vault.putSecret("x", { v: 1 });
    vault.setHealth("standby");
    for (const [method, path] of [
      ["GET", "/v1/secret/data/x?version=2"],
      ["POST", "/v1/auth/approle/login"],
      ["GET", "/v1/secret/metadata/?list=true"],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method, redirect: "manual" });
      expect(response.status, path).toBe(307);
      expect(response.headers.get("location"), path).toBe(
        `https://vault-active.example:8200${path}`,
      );
    }
    expect((await call(url, "GET", "sys/health")).status).toBe(429);
    expect((await call(url, "GET", "sys/seal-status")).status).toBe(200);
    vault.setHealth("active");
    expect((await call(url, "GET", "secret/data/x", { token: DOUBLE_ROOT_TOKEN })).status).toBe(
      200,
    );
  });

  it("without activeAddress, keeps serving requests (as with request forwarding)", async () => {
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
    url = await vault.start();
    vault.putSecret("x", { v: 1 });
    vault.setHealth("standby");
    expect((await call(url, "GET", "secret/data/x", { token: DOUBLE_ROOT_TOKEN })).status).toBe(
      200,
    );
    expect((await call(url, "GET", "sys/health")).status).toBe(429);
  });
});
