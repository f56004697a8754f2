/**
 * herd: 10,000 concurrent verifications of distinct tokens at the exact moment the cached
 * signing secret expires, against the in-process Vault double over loopback HTTP. A
 * ManualClock jumps to the expiry, so nothing waits for real time. Counts the KV reads the
 * double logged (target: one per expiry, single flight) and each call's latency.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { MINT_OPTIONS, newSecret } from "./lib/fixtures.mjs";
import { percentile, target } from "./lib/harness.mjs";

export const name = "herd";
export const title = "10,000 concurrent verifications at secret-cache expiry (Vault double)";

const CONCURRENCY = 10_000;
const EXPIRY_ROUNDS = 3;
const KV_READ = { method: "GET", path: "/v1/secret/data/" };

export async function run({ lib, testing }) {
  const clock = new testing.ManualClock();
  const rootToken = `hvs.bench-${randomBytes(12).toString("hex")}`;
  const vault = new testing.VaultDouble({ rootToken });
  const url = await vault.start();
  const client = new lib.VaultClient({
    address: url,
    auth: { method: "token", token: rootToken },
    clock: clock.now,
    logger: lib.silentLogger,
  });
  try {
    vault.putSecret(lib.SHARED_SECRET_NAME, { value: newSecret() });
    const provider = new lib.JwtSecretProvider({
      source: new lib.VaultSecretSource({ client }),
      clock: clock.now,
      logger: lib.silentLogger,
    });
    const auth = new lib.AuthService({
      store: new lib.MemoryAuthStore(),
      secretProvider: provider,
      clock: clock.now,
      logger: lib.silentLogger,
    });
    const tokens = [];
    for (let i = 0; i < CONCURRENCY; i += 1)
      tokens.push((await auth.tokens.mint(MINT_OPTIONS)).token);

    const herd = async (label) => {
      vault.clearRequests();
      const readsBefore = provider.stats.reads;
      const latencies = new Float64Array(CONCURRENCY);
      let failures = 0;
      const started = performance.now();
      const calls = tokens.map((token, i) => {
        const t0 = performance.now();
        return auth.verifyToken(token, { stateless: true }).then(
          () => {
            latencies[i] = performance.now() - t0;
          },
          () => {
            failures += 1;
            latencies[i] = performance.now() - t0;
          },
        );
      });
      await Promise.all(calls);
      const wallMs = performance.now() - started;
      latencies.sort();
      return {
        label,
        storeReads: vault.countRequests(KV_READ),
        providerReads: provider.stats.reads - readsBefore,
        failures,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies[latencies.length - 1],
        wallMs,
      };
    };

    // Warm: the key is cached, so the same herd needs no store read (a reference latency).
    const warm = await herd("warm key");
    const rounds = [];
    for (let round = 1; round <= EXPIRY_ROUNDS; round += 1) {
      clock.advance(provider.cacheTtlMs); // exactly the TTL after the last read: expired now
      rounds.push(await herd(`at expiry ${round}`));
    }
    const maxReads = Math.max(...rounds.map((r) => r.storeReads));
    const failures = rounds.reduce((sum, r) => sum + r.failures, warm.failures);
    const p50 = rounds.map((r) => r.p50Ms).sort((a, b) => a - b)[1];
    const p99 = rounds.map((r) => r.p99Ms).sort((a, b) => a - b)[1];
    return {
      metrics: {
        "store reads per expiry (max of rounds)": maxReads,
        "p50 ms at expiry (median of rounds)": p50,
        "p99 ms at expiry (median of rounds)": p99,
        "p50 ms warm key": warm.p50Ms,
        "p99 ms warm key": warm.p99Ms,
        failures,
      },
      rounds: [warm, ...rounds],
      targets: [
        target("store reads per expiry", maxReads, "<=", 1, "reads"),
        target("failed verifications", failures, "<=", 0, "calls"),
      ],
      notes: [
        `${CONCURRENCY} distinct tokens, started in one synchronous loop; latency = start of the call to its settlement`,
        "the warm herd needs no store read; p50/p99 there are the cost of 10,000 queued verifications alone",
      ],
    };
  } finally {
    await client.close();
    await vault.close();
  }
}
