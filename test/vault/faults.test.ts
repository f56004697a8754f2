import { afterEach, beforeEach, expect, it } from "vitest";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { VaultSecretSource } from "../../src/secrets/vault.js";
import { PERMISSION_DENIED_BODY, VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient, type VaultClientOptions } from "../../src/vault/client.js";
import { captureLogger } from "../support/capture-logger.js";
import { expectNoSecrets, randomSecret, rejection } from "./helpers.js";
import { DOUBLE_ROOT_TOKEN, describeDoubleOnly, testClientDefaults } from "./target.js";

const PATH = "gofr/config/jwt-signing-secret";
const DATA = `/v1/secret/data/${PATH}`;

describeDoubleOnly("faults", "needs the double's fault injection", () => {
  let vault: VaultDouble;
  let url: string;
  const clients: VaultClient[] = [];
  const secret = randomSecret();

  beforeEach(async () => {
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
    url = await vault.start();
    vault.putSecret(PATH, { value: secret });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await vault.close();
  });

  const client = (extra: Partial<VaultClientOptions> = {}) => {
    const created = new VaultClient({
      address: url,
      auth: { method: "token", token: DOUBLE_ROOT_TOKEN },
      ...testClientDefaults(),
      ...extra,
    });
    clients.push(created);
    return created;
  };

  it("Vault down at start: vault_unreachable naming the address and path, after bounded retries", async () => {
    await vault.close(); // nothing listens on the port now
    const source = new VaultSecretSource({ client: client({ maxRetries: 2 }) });
    const provider = new JwtSecretProvider({ source, logger: captureLogger() });
    const error = await rejection(provider.get());
    expect(error.code).toBe("vault_unreachable");
    expect(error.message).toContain(url);
    expect(error.message).toContain(`GET ${DATA}`);
    expect(error.message).toContain("3 attempts");
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.hint).toMatch(/Vault URL/);
    expectNoSecrets(error, [DOUBLE_ROOT_TOKEN]);
  });

  it("a Vault slower than the timeout is vault_unreachable, without waiting for it", async () => {
    vault.setLatency(500);
    const started = performance.now();
    const error = await rejection(client({ timeoutMs: 50, maxRetries: 0 }).kv().read(PATH));
    const elapsed = performance.now() - started;
    expect(error.code).toBe("vault_unreachable");
    expect(error.message).toContain("no answer within 50 ms");
    expect(error.details.timedOut).toBe(true);
    expect(elapsed).toBeLessThan(400);
  });

  it("retries 503 and 500 with backoff, then succeeds", async () => {
    const delays: number[] = [];
    const reader = client({
      maxRetries: 2,
      retryBaseDelayMs: 100,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    vault.failNext(1, 503);
    vault.failNext(1, 500);
    expect((await reader.kv().read(PATH)).data.value).toBe(secret);
    expect(vault.requests.map((entry) => entry.status)).toEqual([503, 500, 200]);
    expect(delays).toEqual([75, 150]); // equal jitter: half fixed, half random, doubling
    expect(reader.stats).toMatchObject({ attempts: 3, retries: 2 });
  });

  it("gives up after maxRetries and reports the status", async () => {
    vault.failNext(5, 502);
    const error = await rejection(client({ maxRetries: 2 }).kv().read(PATH));
    expect(error.code).toBe("vault_unreachable");
    expect(error.message).toContain("502");
    expect(error.message).toContain("after 3 attempts");
    expect(vault.countRequests()).toBe(3);
  });

  it("429 is retried, waiting at least Retry-After (capped)", async () => {
    const delays: number[] = [];
    const reader = client({
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 5000,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    vault.failNext(1, 429, { retryAfterSeconds: 2 });
    await reader.kv().read(PATH);
    expect(delays).toEqual([2000]);
  });

  it("429 without Retry-After (Vault's default) waits past a 1 s rate-limit interval", async () => {
    // Vault sends Retry-After only with enable_rate_limit_response_headers (hashicorp
    // `http/util.go` rateLimitQuotaWrapping; docs/vault-contract.md row 40, M6). A quota's interval
    // is 1 s by default, so retrying sooner meets the same empty bucket.
    for (const [random, least] of [
      [0, 1200],
      [0.999, 2390],
    ] as const) {
      const delays: number[] = [];
      const reader = client({
        random: () => random,
        sleep: async (ms) => {
          delays.push(ms);
        },
      }); // testClientDefaults: retryBaseDelayMs 0, so only the rate-limit floor waits
      vault.failNext(2, 429, { body: { errors: ['request path "x": rate limit quota exceeded'] } });
      expect((await reader.kv().read(PATH)).data.value).toBe(secret);
      expect(delays).toHaveLength(2);
      expect(delays[1]).toBeGreaterThan(delays[0] as number); // doubling, jittered
      const total = delays.reduce((sum, ms) => sum + ms, 0);
      expect(total).toBeGreaterThanOrEqual(least);
      expect(total).toBeLessThanOrEqual(2400);
    }
  });

  it("a 5xx keeps the short backoff: the rate-limit floor is for 429 only", async () => {
    const delays: number[] = [];
    const reader = client({
      retryBaseDelayMs: 100,
      random: () => 0,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    vault.failNext(1, 504);
    vault.failNext(1, 502);
    expect((await reader.kv().read(PATH)).data.value).toBe(secret);
    expect(vault.requests.map((entry) => entry.status)).toEqual([504, 502, 200]);
    expect(delays).toEqual([50, 100]);
  });

  it("never retries 403 or 400", async () => {
    const reader = client({ maxRetries: 5 });
    vault.failNext(1, 403, { body: PERMISSION_DENIED_BODY });
    expect((await rejection(reader.kv().read(PATH))).code).toBe("vault_permission_denied");
    vault.failNext(1, 400, { body: { errors: ["invalid request"] } });
    const bad = await rejection(reader.kv().read(PATH));
    expect(bad.code).toBe("vault_bad_response");
    expect(bad.message).toContain("invalid request");
    expect(vault.countRequests()).toBe(2);
  });

  it("a dropped connection is retried", async () => {
    vault.dropNext(1);
    expect((await client().kv().read(PATH)).data.value).toBe(secret);
    expect(vault.requests.map((entry) => entry.status)).toEqual([0, 200]);
  });

  it("connections dropped every time end in vault_unreachable", async () => {
    vault.dropNext(3);
    const error = await rejection(client({ maxRetries: 2 }).kv().read(PATH));
    expect(error.code).toBe("vault_unreachable");
    expect(vault.countRequests()).toBe(3);
  });

  it("sealed: vault_sealed at once (not retried), health reports it", async () => {
    vault.seal();
    const reader = client({ maxRetries: 2 });
    const error = await rejection(reader.kv().read(PATH));
    expect(error.code).toBe("vault_sealed");
    expect(error.message).toContain("sealed");
    expect(error.message).toContain("503");
    expect(error.hint).toMatch(/unseal/);
    expect(vault.countRequests()).toBe(1);
    expect(await reader.health()).toMatchObject({ status: 503, sealed: true, initialized: true });
    vault.unseal();
    expect((await reader.kv().read(PATH)).data.value).toBe(secret);
    expect((await reader.health()).status).toBe(200);
  });

  it("malformed JSON is vault_bad_response (not retried)", async () => {
    vault.malformedNext(1);
    const error = await rejection(client({ maxRetries: 2 }).kv().read(PATH));
    expect(error.code).toBe("vault_bad_response");
    expect(error.message).toContain(`GET ${DATA}`);
    expect(error.message).toContain("200");
    expect(vault.countRequests()).toBe(1);
  });

  it("a 200 with the wrong shape is vault_bad_response naming the field", async () => {
    vault.failNext(1, 200, { body: { data: { data: { value: "x" } } } }); // no metadata
    const error = await rejection(client().kv().read(PATH));
    expect(error.code).toBe("vault_bad_response");
    expect(error.message).toContain("data.metadata");
  });

  it("a later request succeeds once the fault has passed: faults are consumed", async () => {
    vault.failNext(1, 503, { match: { path: "/v1/secret/metadata/" } });
    const reader = client();
    await reader.kv().read(PATH); // not matched: the fault waits
    expect(vault.pendingFaults).toBe(1);
    await reader.kv().readMetadata(PATH); // matched, retried, succeeds
    expect(vault.pendingFaults).toBe(0);
  });
});
