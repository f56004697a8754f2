/**
 * Request bodies: Vault's size limit and JSON errors (docs/vault-contract.md rows 38-39; hashicorp
 * `http/handler.go` `DefaultMaxRequestSize`, `http/logical.go` `buildLogicalRequestNoAuth`,
 * sdk `logical/response_util.go` `AdjustErrorStatusCode`).
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { call } from "./double-http.js";
import {
  DOUBLE_ROOT_TOKEN,
  describeContract,
  describeDoubleOnly,
  startTarget,
  type VaultTarget,
} from "./target.js";

describeContract("request bodies", () => {
  let target: VaultTarget;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.stop());

  it("a body that is not a JSON object is 400 'error parsing JSON'", async () => {
    for (const text of ["{not json", "[1, 2]"]) {
      const response = await fetch(`${target.url}/v1/secret/data/${target.prefix}/bad-json`, {
        method: "POST",
        headers: { "X-Vault-Token": target.rootToken, "Content-Type": "application/json" },
        body: text,
      });
      expect(response.status, text).toBe(400);
      expect(await response.json(), text).toEqual({ errors: ["error parsing JSON"] });
    }
  });

  it("accepts a body well above 1 MiB (the default limit is 32 MiB)", async () => {
    const value = "x".repeat(2 * 1024 * 1024);
    const path = `secret/data/${target.prefix}/big`;
    const write = await call(target.url, "POST", path, {
      token: target.rootToken,
      body: { data: { value } },
    });
    expect(write.status).toBe(200);
  });
});

describeDoubleOnly("the request size limit", "maxRequestBytes is the double's option", () => {
  let vault: VaultDouble;
  afterEach(() => vault.close());

  it("answers 413 'error parsing JSON' above maxRequestBytes, without dropping the connection", async () => {
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, maxRequestBytes: 1024 });
    const url = await vault.start();
    const fits = await call(url, "POST", "secret/data/small", {
      token: DOUBLE_ROOT_TOKEN,
      body: { data: { value: "x".repeat(900) } },
    });
    expect(fits.status).toBe(200);
    const tooLarge = await call(url, "POST", "secret/data/large", {
      token: DOUBLE_ROOT_TOKEN,
      body: { data: { value: "x".repeat(64 * 1024) } },
    });
    expect(tooLarge).toMatchObject({ status: 413, body: { errors: ["error parsing JSON"] } });
    expect(vault.readSecret("large")).toBeUndefined();
    expect(vault.countRequests({ status: 413 })).toBe(1);
  });
});
