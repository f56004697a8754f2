/**
 * Faults end to end: the reference web service (createWebServer) on an auth plane built on
 * the Vault double exactly as a deployment builds it (VaultClient with AppRole ->
 * VaultSecretSource -> JwtSecretProvider, VaultAuthStore, AuthService), with one
 * ManualClock shared by the plane. Tokens are minted by a separate operator plane (root
 * token), as the CLI would. Time moves only by hand; nothing sleeps.
 *
 * What bounds an outage (the defaults, asserted below):
 * - the signing secret is cached for DEFAULT_SECRET_TTL_SECONDS (300 s);
 * - a store-checked request also needs the token's record, cached by VaultAuthStore for
 *   30 s (tokenCacheTtlSeconds) after it was last read. So during an outage a store-checked
 *   service serves only tokens it saw in the last 30 s; a stateless one serves every
 *   valid token until the secret's TTL runs out. Past either bound: 503 + Retry-After.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { createWebServer } from "../../examples/web/server.js";
import { AuthService } from "../../src/auth-service.js";
import { DEFAULT_SECRET_TTL_SECONDS, JwtSecretProvider } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { VaultSecretSource } from "../../src/secrets/vault.js";
import { VaultAuthStore } from "../../src/store/vault.js";
import { ManualClock } from "../../src/testing/clock.js";
import { ManualTimers, VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient, type VaultClientOptions } from "../../src/vault/client.js";
import { captureLogger, type LogEntry } from "../support/capture-logger.js";
import { randomSecret } from "../vault/helpers.js";
import { DOUBLE_ROOT_TOKEN } from "../vault/target.js";

const LOGIN = "/v1/auth/approle/login";
/** VaultAuthStore's default tokenCacheTtlSeconds. */
const RECORD_CACHE_SECONDS = 30;
const SECRET_TTL_SECONDS = DEFAULT_SECRET_TTL_SECONDS;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

interface Service {
  app: FastifyInstance;
  url: string;
}

interface Plane {
  /** The plane's time (service, operator, client session). */
  clock: ManualClock;
  /** Vault's own time: token TTLs inside the double. */
  vaultClock: ManualClock;
  vault: VaultDouble;
  client: VaultClient;
  provider: JwtSecretProvider;
  logs: LogEntry[];
  /** Store-checked (the default). */
  checked: Service;
  /** `stateless: true`: signature and claims only. */
  stateless: Service;
  /** Mints a token through the operator plane (root token), as `gofr-auth tokens create`. */
  mint(groups?: string[]): Promise<string>;
  close(): Promise<void>;
}

const planes: Plane[] = [];
afterEach(async () => {
  await Promise.all(planes.splice(0).map((plane) => plane.close()));
});

async function startPlane(
  options: { client?: Partial<VaultClientOptions>; tokenTtlSeconds?: number } = {},
): Promise<Plane> {
  const clock = new ManualClock();
  const vaultClock = new ManualClock();
  const vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, clock: vaultClock.now });
  const url = await vault.start();
  vault.putSecret(SHARED_SECRET_NAME, { value: randomSecret("web") });
  // The service may read the secret and token records, nothing else.
  vault.setPolicy("gofr-web", {
    "secret/data/gofr/config/*": ["read"],
    "secret/data/gofr/auth/*": ["read"],
  });
  const creds = vault.addAppRole("gofr-web", {
    policies: ["gofr-web"],
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
  });

  const capture = captureLogger();
  const client = new VaultClient({
    address: url,
    auth: { method: "approle", ...creds },
    clock: clock.now,
    timers: new ManualTimers(clock),
    retryBaseDelayMs: 0,
    logger: capture,
    ...options.client,
  });
  const provider = new JwtSecretProvider({
    source: new VaultSecretSource({ client }),
    clock: clock.now,
    logger: capture,
  });
  const store = new VaultAuthStore({ client, clock: clock.now, logger: capture });
  const auth = new AuthService({
    store,
    secretProvider: provider,
    clock: clock.now,
    logger: capture,
  });

  const operatorClient = new VaultClient({
    address: url,
    auth: { method: "token", token: DOUBLE_ROOT_TOKEN },
    retryBaseDelayMs: 0,
    logger: capture,
  });
  const operator = new AuthService({
    store: new VaultAuthStore({ client: operatorClient, clock: clock.now }),
    secretProvider: new JwtSecretProvider({
      source: new VaultSecretSource({ client: operatorClient }),
      clock: clock.now,
      logger: capture,
    }),
    clock: clock.now,
    logger: capture,
  });
  await operator.groups.ensureReservedGroups();

  const serve = async (stateless: boolean): Promise<Service> => {
    const { app } = await createWebServer({ auth, logger: capture, stateless });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    return { app, url: `http://127.0.0.1:${port}` };
  };
  const checked = await serve(false);
  const stateless = await serve(true);

  const plane: Plane = {
    clock,
    vaultClock,
    vault,
    client,
    provider,
    logs: capture.entries,
    checked,
    stateless,
    mint: async (groups = ["public"]) => (await operator.createToken({ groups })).token,
    async close() {
      await checked.app.close();
      await stateless.app.close();
      await client.close();
      await operatorClient.close();
      await vault.close();
    },
  };
  planes.push(plane);
  return plane;
}

async function get(service: Service, path: string, token?: string): Promise<Answer> {
  const response = await fetch(`${service.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** The status, and for a 503 the Retry-After and the code, in one comparable value. */
function outcome(answer: Answer): string {
  if (answer.status !== 503) return String(answer.status);
  return `503 retry-after=${answer.retryAfter} ${String(answer.body.code)}`;
}

interface Outage {
  name: string;
  code: string;
  begin(vault: VaultDouble): Promise<void>;
  end(vault: VaultDouble): Promise<void>;
}

const outages: Outage[] = [
  {
    name: "Vault stopped (connection refused)",
    code: "vault_unreachable",
    begin: (vault) => vault.close(),
    end: async (vault) => {
      await vault.start();
    },
  },
  {
    name: "Vault dropping every connection",
    code: "vault_unreachable",
    begin: async (vault) => vault.dropNext(1_000_000),
    end: async (vault) => vault.clearFaults(),
  },
  {
    name: "Vault sealed",
    code: "vault_sealed",
    begin: async (vault) => vault.seal(),
    end: async (vault) => vault.unseal(),
  },
];

describe("web service on Vault: Vault goes away mid-run", () => {
  for (const outage of outages) {
    it(`${outage.name}: cached requests keep working, then 503 + Retry-After, then recovery without restart`, async () => {
      const plane = await startPlane();
      const { clock, checked, stateless } = plane;
      const seen = await plane.mint();
      const unseen = await plane.mint();
      const admin = await plane.mint(["admin"]);

      // Warm: the secret and the records of `seen` and `admin` are read once.
      expect((await get(checked, "/whoami", seen)).status).toBe(200);
      expect((await get(checked, "/admin/ping", admin)).status).toBe(200);
      expect((await get(checked, "/ready")).status).toBe(200);

      await outage.begin(plane.vault);
      const failedReads = plane.provider.stats.failures;

      // Within both bounds: cached record and cached secret.
      clock.advanceSeconds(RECORD_CACHE_SECONDS - 1);
      expect(outcome(await get(checked, "/whoami", seen))).toBe("200");
      expect(outcome(await get(checked, "/admin/ping", admin))).toBe("200");
      expect(outcome(await get(stateless, "/whoami", unseen))).toBe("200");
      expect(outcome(await get(checked, "/ready"))).toBe("200");
      // A token whose record was never read cannot be store-checked: 503, not 401.
      expect(outcome(await get(checked, "/whoami", unseen))).toBe(
        `503 retry-after=5 ${outage.code}`,
      );

      // Past the record cache (30 s), inside the secret's TTL: only stateless still works.
      clock.advanceSeconds(2);
      expect(outcome(await get(checked, "/whoami", seen))).toBe(`503 retry-after=5 ${outage.code}`);
      expect(outcome(await get(stateless, "/whoami", seen))).toBe("200");
      expect(outcome(await get(stateless, "/whoami", unseen))).toBe("200");
      expect(outcome(await get(checked, "/ready"))).toBe("200");
      expect(plane.provider.stats.failures).toBe(failedReads); // no secret read was needed

      // Past the secret's TTL: everything that needs a key is 503, and /ready says so.
      clock.advanceSeconds(SECRET_TTL_SECONDS - RECORD_CACHE_SECONDS);
      expect(outcome(await get(stateless, "/whoami", seen))).toBe(
        `503 retry-after=5 ${outage.code}`,
      );
      expect(outcome(await get(checked, "/whoami", seen))).toBe(`503 retry-after=5 ${outage.code}`);
      const ready = await get(checked, "/ready");
      expect(outcome(ready)).toBe(`503 retry-after=5 ${outage.code}`);
      expect(ready.body.status).toBe("unavailable");
      expect(plane.provider.stats.failures).toBeGreaterThan(failedReads);
      // Never blamed on the caller: no 401 was sent during the outage.
      const metrics = await (await fetch(`${checked.url}/metrics`)).text();
      expect(metrics).not.toMatch(/status="401"/);

      // Vault is back: the same process recovers on the next request.
      await outage.end(plane.vault);
      expect(outcome(await get(checked, "/ready"))).toBe("200");
      expect(outcome(await get(checked, "/whoami", seen))).toBe("200");
      expect(outcome(await get(checked, "/whoami", unseen))).toBe("200");
      expect(outcome(await get(stateless, "/whoami", unseen))).toBe("200");
      expect(outcome(await get(checked, "/admin/ping", admin))).toBe("200");
      expect(plane.client.stats.logins).toBe(1); // the AppRole token outlived the outage
    });
  }
});

describe("web service on Vault: the AppRole token expires under it", () => {
  it("Vault answers 403, the client logs in again once, and no request fails", async () => {
    const plane = await startPlane({ tokenTtlSeconds: 3600 });
    const { clock, vaultClock, vault, checked, stateless } = plane;
    const tokens = [await plane.mint(), await plane.mint(), await plane.mint()];
    const admin = await plane.mint(["admin"]);
    expect((await get(checked, "/whoami", tokens[0])).status).toBe(200);
    expect(plane.client.stats.logins).toBe(1);

    // Vault now considers the token expired (its clock passed the lease, e.g. skew or a
    // restart that lost leases); the client still believes it has 55 minutes left. The
    // plane's clock moves past the secret TTL and the record cache, so every request
    // below has to read Vault.
    vaultClock.advanceSeconds(3601);
    clock.advanceSeconds(SECRET_TTL_SECONDS + 1);
    vault.clearRequests();

    const answers = await Promise.all([
      ...tokens.map((token) => get(checked, "/whoami", token)),
      ...tokens.map((token) => get(stateless, "/whoami", token)),
      get(checked, "/admin/ping", admin),
      get(checked, "/ready"),
    ]);
    expect(answers.map(outcome)).toEqual(answers.map(() => "200"));
    expect(vault.countRequests({ status: 403 })).toBeGreaterThanOrEqual(1); // it did refuse
    expect(vault.countRequests({ path: LOGIN })).toBe(1);
    expect(plane.client.stats.logins).toBe(2);
    expect(
      plane.logs.filter((entry) => entry.message.startsWith("Vault refused the AppRole token")),
    ).toHaveLength(1);
    const metrics = await (await fetch(`${checked.url}/metrics`)).text();
    expect(metrics).not.toMatch(/status="(401|403|500|503)"/);
  });
});

describe("web service on Vault: 500 ms latency on every Vault request", () => {
  it("a 30 s window of slow Vault: cached requests answer, the rest get 503 within the client's budget", async () => {
    // Budget per Vault call: 2 attempts of at most 250 ms (roomy for loopback under load).
    // The double answers after 500 ms, correctly: a request that waited for it would
    // succeed. So a 503 whose cause is the client's timeout, with Vault's answers never
    // sent, proves nobody waited for the slow Vault, without timing the requests (the
    // control below shows that waiting would have paid off).
    const timeoutMs = 250;
    const plane = await startPlane({ client: { timeoutMs, maxRetries: 1 } });
    const { clock, vault, checked, stateless } = plane;
    const warm = await plane.mint();
    const fresh = await Promise.all(Array.from({ length: 7 }, () => plane.mint()));
    const afterWindow = await plane.mint();
    expect((await get(checked, "/whoami", warm)).status).toBe(200);

    vault.setLatency(500);
    const windowStart = vault.requests.length;
    const timeline: string[] = [];
    for (let step = 0; step <= 6; step += 1) {
      const at = step * 5; // t = 0, 5, ..., 30 s after warm-up
      const token = fresh[step] as string;
      timeline.push(
        [
          `t=${at}`,
          `warm:${outcome(await get(checked, "/whoami", warm))}`,
          `fresh:${outcome(await get(checked, "/whoami", token))}`,
          `stateless:${outcome(await get(stateless, "/whoami", token))}`,
          `ready:${outcome(await get(checked, "/ready"))}`,
        ].join(" "),
      );
      clock.advanceSeconds(5);
    }
    const slow = "503 retry-after=5 vault_unreachable";
    expect(timeline).toEqual([
      ...[0, 5, 10, 15, 20, 25].map(
        (at) => `t=${at} warm:200 fresh:${slow} stateless:200 ready:200`,
      ),
      // The warm token's record was read 30 s ago: now it needs Vault too.
      `t=30 warm:${slow} fresh:${slow} stateless:200 ready:200`,
    ]);

    // Every 503 above was the client giving up after its own deadline: 8 store reads of 2
    // attempts each reached Vault, and Vault never got to answer one of them (status 0).
    const inWindow = vault.requests.slice(windowStart);
    expect(inWindow.map((entry) => entry.status)).toEqual(Array(16).fill(0));
    const unavailable = plane.logs.filter((entry) =>
      entry.message.startsWith("Authentication unavailable"),
    );
    expect(unavailable).toHaveLength(8);
    for (const entry of unavailable) {
      expect(String(entry.fields.error)).toContain(`no answer within ${timeoutMs} ms`);
      expect(String(entry.fields.error)).toContain("2 attempts");
    }

    // Still slow when the secret's TTL runs out: /ready and stateless requests turn 503 too.
    clock.advanceSeconds(SECRET_TTL_SECONDS);
    expect(outcome(await get(checked, "/ready"))).toBe(slow);
    expect(outcome(await get(stateless, "/whoami", warm))).toBe(slow);

    // Control: a client that waits longer than the latency gets Vault's answer.
    const patient = new VaultClient({
      address: vault.url,
      auth: { method: "token", token: DOUBLE_ROOT_TOKEN },
      timeoutMs: 5000,
      maxRetries: 0,
      logger: captureLogger(),
    });
    try {
      expect((await patient.kv().read(SHARED_SECRET_NAME)).version).toBe(1);
    } finally {
      await patient.close();
    }

    // Latency gone: the same service answers normally again.
    vault.setLatency(0);
    expect(outcome(await get(checked, "/ready"))).toBe("200");
    expect(outcome(await get(checked, "/whoami", afterWindow))).toBe("200");
    expect(outcome(await get(stateless, "/whoami", warm))).toBe("200");
  });
});
