import { afterAll, beforeAll, expect, it } from "vitest";
import { VaultClient } from "../../src/vault/client.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

// Rows 1 and 33-35 (envelope, token and namespace headers) through the client.
describeContract("VaultClient options and basics", () => {
  let target: VaultTarget;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.stop());

  it.each([
    ["not a url", "not a URL"],
    ["ftp://vault:8200", "http(s)"],
    ["https://user:pw@vault:8200", "credentials"],
  ])("refuses the address %s with config_invalid", (address, text) => {
    expect(() => new VaultClient({ address, auth: { method: "token", token: "t" } })).toThrow(
      expect.objectContaining({ code: "config_invalid", message: expect.stringContaining(text) }),
    );
  });

  it("refuses an empty token and nonsense timeouts", () => {
    const address = "http://127.0.0.1:8200";
    expect(() => new VaultClient({ address, auth: { method: "token", token: " " } })).toThrow(
      expect.objectContaining({ code: "config_invalid" }),
    );
    expect(
      () => new VaultClient({ address, auth: { method: "token", token: "t" }, timeoutMs: 0 }),
    ).toThrow(expect.objectContaining({ code: "config_invalid" }));
    expect(
      () => new VaultClient({ address, auth: { method: "token", token: "t" }, maxRetries: -1 }),
    ).toThrow(expect.objectContaining({ code: "config_invalid" }));
  });

  it("health() reports an active, unsealed Vault without a token", async () => {
    const client = target.client({ auth: { method: "token", token: "unused" } });
    const health = await client.health();
    expect(health).toMatchObject({ status: 200, initialized: true, sealed: false, standby: false });
    expect(health.version).toEqual(expect.any(String));
    expect(client.description).toBe(`vault ${target.url.replace(/\/+$/, "")}`);
  });

  it("request() reaches any API path and returns the parsed body", async () => {
    const client = target.client();
    const path = `${target.prefix}/raw/x`;
    await client.request("POST", `/v1/secret/data/${path}`, { body: { data: { a: 1 } } });
    const body = (await client.request("GET", `secret/data/${path}`)) as {
      data: { data: unknown };
    };
    expect(body.data.data).toEqual({ a: 1 });
    expect(await client.request("DELETE", `secret/metadata/${path}`)).toBeUndefined();
  });
});
