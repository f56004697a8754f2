/**
 * The double's answers checked at the HTTP level (plain `fetch`, no client). Tests outside
 * `describeDoubleOnly` also run against a real Vault, so they pin the double to Vault's
 * actual shapes, status codes and error bodies.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import {
  PERMISSION_DENIED_BODY,
  SEALED_BODY,
  VaultDouble,
} from "../../src/testing/vault-double.js";
import { type Answer, call } from "./double-http.js";
import {
  DOUBLE_ROOT_TOKEN,
  describeContract,
  describeDoubleOnly,
  startTarget,
  type VaultTarget,
} from "./target.js";

const VAULT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

describeContract("Vault HTTP (double and real Vault)", () => {
  let target: VaultTarget;
  let root: (method: string, path: string, body?: unknown) => Promise<Answer>;
  let n = 0;
  const fresh = (label: string) => `${target.prefix}/contract/${label}-${++n}`;

  beforeAll(async () => {
    target = await startTarget();
    root = (method, path, body) =>
      call(target.url, method, path, { token: target.rootToken, body });
  });
  afterAll(() => target.stop());

  it("a KV read has Vault's envelope, data and metadata", async () => {
    const path = fresh("read");
    const write = await root("POST", `secret/data/${path}`, { data: { value: "v" } });
    expect(write.status).toBe(200);
    expect((write.body as { data: unknown }).data).toMatchObject({
      custom_metadata: null,
      deletion_time: "",
      destroyed: false,
      version: 1,
    });
    const read = await root("GET", `secret/data/${path}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("content-type")).toContain("application/json");
    const body = read.body as Record<string, unknown>;
    expect(body).toMatchObject({
      lease_id: "",
      renewable: false,
      lease_duration: 0,
      wrap_info: null,
      warnings: null,
      auth: null,
      mount_type: "kv",
    });
    expect(body.request_id).toEqual(expect.any(String));
    const data = body.data as { data: unknown; metadata: Record<string, unknown> };
    expect(data.data).toEqual({ value: "v" });
    expect(data.metadata).toMatchObject({ deletion_time: "", destroyed: false, version: 1 });
    expect(data.metadata.created_time).toMatch(VAULT_TIME);
  });

  it("missing paths answer 404 with an empty errors list", async () => {
    const missing = await root("GET", `secret/data/${fresh("missing")}`);
    expect(missing).toMatchObject({ status: 404, body: { errors: [] } });
    const list = await root("GET", `secret/metadata/${fresh("empty")}?list=true`);
    expect(list).toMatchObject({ status: 404, body: { errors: [] } });
  });

  it("a soft-deleted latest version answers 404 carrying its metadata", async () => {
    const path = fresh("deleted");
    await root("POST", `secret/data/${path}`, { data: { value: "v" } });
    expect((await root("DELETE", `secret/data/${path}`)).status).toBe(204);
    const read = await root("GET", `secret/data/${path}`);
    expect(read.status).toBe(404);
    const data = (read.body as { data: { data: unknown; metadata: Record<string, unknown> } }).data;
    expect(data.data).toBeNull();
    expect(data.metadata.version).toBe(1);
    expect(data.metadata.deletion_time).toMatch(VAULT_TIME);
  });

  it("check-and-set mismatch is 400 with Vault's message", async () => {
    const path = fresh("cas");
    await root("POST", `secret/data/${path}`, { data: { n: 1 } });
    const clash = await root("POST", `secret/data/${path}`, {
      data: { n: 2 },
      options: { cas: 0 },
    });
    expect(clash.status).toBe(400);
    expect((clash.body as { errors: string[] }).errors.join(" ")).toContain(
      "check-and-set parameter did not match the current version",
    );
  });

  it("list answers keys with folders, via GET ?list=true", async () => {
    const base = fresh("list");
    await root("POST", `secret/data/${base}/x`, { data: { a: 1 } });
    await root("POST", `secret/data/${base}/dir/y`, { data: { a: 1 } });
    const list = await root("GET", `secret/metadata/${base}?list=true`);
    expect(list.status).toBe(200);
    expect((list.body as { data: { keys: string[] } }).data.keys.sort()).toEqual(["dir/", "x"]);
  });

  it("metadata lists every version with times; oldest_version is 0 before any pruning", async () => {
    const path = fresh("metadata");
    await root("POST", `secret/data/${path}`, { data: { n: 1 } });
    await root("POST", `secret/data/${path}`, { data: { n: 2 } });
    const metadata = await root("GET", `secret/metadata/${path}`);
    const data = (metadata.body as { data: Record<string, unknown> }).data;
    // Row 9: KeyMetadata.OldestVersion only moves when AddVersion prunes (kv path_data.go).
    expect(data).toMatchObject({ cas_required: false, current_version: 2, oldest_version: 0 });
    expect(Object.keys(data.versions as object)).toEqual(["1", "2"]);
    expect(data.updated_time).toMatch(VAULT_TIME);
  });

  it("no token or a bad token is 403 with the exact permission-denied body", async () => {
    const path = `secret/data/${fresh("denied")}`;
    const none = await call(target.url, "GET", path);
    expect(none.status).toBe(403);
    const bad = await call(target.url, "GET", path, { token: "hvs.bogus-token-value" });
    expect(bad).toMatchObject({ status: 403, body: PERMISSION_DENIED_BODY });
  });

  it("a policy written as HCL limits a created token", async () => {
    const policy = target.policyName("contract");
    const allowed = fresh("allowed");
    await root("POST", `secret/data/${allowed}`, { data: { v: 1 } });
    const put = await root("PUT", `sys/policies/acl/${policy}`, {
      policy: `path "secret/data/${allowed}" { capabilities = ["read"] }`,
    });
    expect(put.status).toBe(204);
    const created = await root("POST", "auth/token/create", { policies: [policy], ttl: "5m" });
    const auth = (created.body as { auth: Record<string, unknown> }).auth;
    expect(auth).toMatchObject({ renewable: true, lease_duration: 300 });
    expect(auth.policies).toEqual(expect.arrayContaining(["default", policy]));
    const token = auth.client_token as string;
    expect((await call(target.url, "GET", `secret/data/${allowed}`, { token })).status).toBe(200);
    const write = await call(target.url, "POST", `secret/data/${allowed}`, {
      token,
      body: { data: { v: 2 } },
    });
    expect(write).toMatchObject({ status: 403, body: PERMISSION_DENIED_BODY });
    const self = await call(target.url, "GET", "auth/token/lookup-self", { token });
    expect((self.body as { data: Record<string, unknown> }).data).toMatchObject({
      renewable: true,
      creation_ttl: 300,
    });
  });

  it("sys/health answers 200 with Vault's fields", async () => {
    const health = await call(target.url, "GET", "sys/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ initialized: true, sealed: false, standby: false });
    expect((health.body as { version: unknown }).version).toEqual(expect.any(String));
    const seal = await call(target.url, "GET", "sys/seal-status");
    expect(seal.body).toMatchObject({ sealed: false, initialized: true });
  });
});

describeDoubleOnly(
  "VaultDouble specifics",
  "seal, clock, log and restart belong to the double",
  () => {
    let clock: ManualClock;
    let vault: VaultDouble;
    let url: string;
    const root = (method: string, path: string, body?: unknown) =>
      call(url, method, path, { token: DOUBLE_ROOT_TOKEN, body });

    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2026, 0, 15, 10, 30, 0, 123));
      vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, clock: clock.now });
      url = await vault.start();
    });
    afterEach(() => vault.close());

    it("listens on 127.0.0.1 with an ephemeral port and stamps Date from its clock", async () => {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(vault.port).toBeGreaterThan(0);
      const answer = await root("GET", "sys/health");
      expect(answer.headers.get("date")).toBe("Thu, 15 Jan 2026 10:30:00 GMT");
      expect((answer.body as { server_time_utc: number }).server_time_utc).toBe(
        Math.floor(clock.now() / 1000),
      );
      await root("POST", "secret/data/t", { data: { a: 1 } });
      expect(vault.readSecret("t")).toEqual({ a: 1 });
      const read = await root("GET", "secret/data/t");
      const created = (read.body as { data: { metadata: { created_time: string } } }).data.metadata
        .created_time;
      expect(created.startsWith("2026-01-15T10:30:00.123")).toBe(true);
    });

    it("sealed: 503 with the exact body everywhere but health and seal-status", async () => {
      vault.seal();
      expect(await root("GET", "secret/data/x")).toMatchObject({ status: 503, body: SEALED_BODY });
      expect(await call(url, "POST", "auth/approle/login", { body: {} })).toMatchObject({
        status: 503,
        body: SEALED_BODY,
      });
      expect(await root("GET", "sys/health")).toMatchObject({
        status: 503,
        body: { sealed: true },
      });
      expect(await root("GET", "sys/seal-status")).toMatchObject({
        status: 200,
        body: { sealed: true },
      });
      vault.unseal();
      expect((await root("GET", "secret/data/x")).status).toBe(404);
    });

    it("tokens expire against the clock; renew-self stops at the max TTL with Vault's warning", async () => {
      const token = vault.createToken({ policies: [], ttlSeconds: 60, maxTtlSeconds: 100 });
      clock.advanceSeconds(50);
      const renewed = await call(url, "POST", "auth/token/renew-self", {
        token,
        body: { increment: "60s" },
      });
      expect((renewed.body as { auth: { lease_duration: number } }).auth.lease_duration).toBe(50);
      expect((renewed.body as { warnings: string[] }).warnings[0]).toMatch(/capped/);
      clock.advanceSeconds(49);
      expect((await call(url, "GET", "auth/token/lookup-self", { token })).status).toBe(200);
      clock.advanceSeconds(1);
      expect(await call(url, "GET", "auth/token/lookup-self", { token })).toMatchObject({
        status: 403,
        body: PERMISSION_DENIED_BODY,
      });
      expect(vault.isTokenValid(token)).toBe(false);
    });

    it("AppRole: set up over HTTP like vault-init, then log in", async () => {
      expect((await root("POST", "sys/auth/approle", { type: "approle" })).status).toBe(204);
      expect((await root("POST", "sys/auth/approle", { type: "approle" })).status).toBe(400);
      await root("PUT", "sys/policies/acl/svc", {
        policy: 'path "secret/data/gofr/config/*" { capabilities = ["read"] }',
      });
      expect(
        (await root("POST", "auth/approle/role/svc", { token_policies: ["svc"], token_ttl: "1h" }))
          .status,
      ).toBe(204);
      const roleId = (
        (await root("GET", "auth/approle/role/svc/role-id")).body as {
          data: { role_id: string };
        }
      ).data.role_id;
      const secretId = (
        (await root("POST", "auth/approle/role/svc/secret-id")).body as {
          data: { secret_id: string };
        }
      ).data.secret_id;
      const login = await call(url, "POST", "auth/approle/login", {
        body: { role_id: roleId, secret_id: secretId },
      });
      expect(login.status).toBe(200);
      expect((login.body as { auth: Record<string, unknown> }).auth).toMatchObject({
        policies: ["default", "svc"],
        metadata: { role_name: "svc" },
        lease_duration: 3600,
        renewable: true,
        token_type: "service",
        orphan: true,
      });
      const wrong = await call(url, "POST", "auth/approle/login", {
        body: { role_id: roleId, secret_id: "nope" },
      });
      expect(wrong).toMatchObject({ status: 400, body: { errors: ["invalid role or secret ID"] } });
    });

    it("logs every request with method, path, query and status", async () => {
      await root("GET", "secret/data/a?version=2");
      await root("POST", "secret/data/a", { data: { x: 1 } });
      expect(
        vault.requests.map(({ method, path, query, status }) => ({ method, path, query, status })),
      ).toEqual([
        { method: "GET", path: "/v1/secret/data/a", query: "?version=2", status: 404 },
        { method: "POST", path: "/v1/secret/data/a", query: "", status: 200 },
      ]);
      expect(vault.countRequests({ method: "GET" })).toBe(1);
      expect(vault.countRequests({ path: /\/data\/a$/, status: 200 })).toBe(1);
    });

    it("keeps its data and port across close() and start(); close() ends held requests at once", async () => {
      vault.putSecret("keep", { v: 1 });
      vault.setLatency(10_000);
      const pending = fetch(`${url}/v1/sys/health`).catch((error: unknown) => error);
      await new Promise((resolve) => setImmediate(resolve));
      const started = performance.now();
      await vault.close();
      expect(await pending).toBeInstanceOf(Error);
      expect(performance.now() - started).toBeLessThan(2000);
      vault.clearFaults();
      expect(await vault.start()).toBe(url);
      expect((await root("GET", "secret/data/keep")).status).toBe(200);
    });

    it("unknown routes answer 404 with Vault's no-handler message", async () => {
      const answer = await root("GET", "nope/thing");
      expect(answer.status).toBe(404);
      expect((answer.body as { errors: string[] }).errors[0]).toContain(
        'no handler for route "nope/thing"',
      );
    });
  },
);
