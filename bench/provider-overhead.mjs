/**
 * provider-overhead: the same TokenService verification with its key from a warm
 * JwtSecretProvider (memory source, TTL checked on every call) and from a provider fixed to
 * one key (no clock, no TTL, no refresh-ahead): what run-time secret loading costs per call.
 * Every case gets a fresh copy of the token per call (`freshCopy`), as from a new request.
 */
import { freshCopy, MINT_OPTIONS, newSecret } from "./lib/fixtures.mjs";
import { compare, measured, pick, ratioOf, target, withRatios } from "./lib/harness.mjs";

export const name = "provider-overhead";
export const title =
  "TokenService.verify with the key from a JwtSecretProvider vs a fixed key (ops/s)";

export async function run({ lib, testing, options, only }) {
  const secret = newSecret();
  const provider = testing.makeTestSecretProvider(secret);
  const key = await provider.getKey();

  /** The floor for key lookup: always the same key, never a clock read or a TTL check. */
  class FixedKeyProvider extends lib.JwtSecretProvider {
    constructor(fixed) {
      super({
        source: {
          description: "fixed key (bench)",
          read: () => Promise.reject(new Error("the fixed-key provider never reads")),
        },
        name: fixed.name,
        logger: lib.silentLogger,
      });
      this.fixed = fixed;
    }
    currentKey() {
      return this.fixed;
    }
    getKey() {
      return Promise.resolve(this.fixed);
    }
  }
  const fixed = new FixedKeyProvider(
    new lib.SigningKey(key.name, secret, key.version, key.createdAt),
  );

  const service = (secretProvider, verifiedCacheSize) =>
    new lib.TokenService({ secretProvider, verifiedCacheSize });
  const viaProvider = service(provider, 0);
  const viaFixed = service(fixed, 0);
  const viaProviderCached = service(provider, 1000);
  const viaFixedCached = service(fixed, 1000);
  const { token } = await viaProvider.mint(MINT_OPTIONS);
  const readsBefore = provider.stats.reads;

  const cases = [
    {
      name: "fixed-key",
      description: "TokenService.verify, fixed key, verified cache off, fresh string",
      fn: () => viaFixed.verify(freshCopy(token)),
    },
    {
      name: "provider",
      description: "TokenService.verify, warm provider, verified cache off, fresh string",
      fn: () => viaProvider.verify(freshCopy(token)),
    },
    {
      name: "fixed-key-cache",
      description: "TokenService.verify, fixed key, verified cache on (hits), fresh string",
      fn: () => viaFixedCached.verify(freshCopy(token)),
    },
    {
      name: "provider-cache",
      description: "TokenService.verify, warm provider, verified cache on (hits), fresh string",
      fn: () => viaProviderCached.verify(freshCopy(token)),
    },
  ];
  for (const entry of cases) await entry.fn();
  const results = withRatios(await compare(pick(cases, only, "fixed-key"), options), "fixed-key");
  // Each provider case against its own fixed-key twin; slowdown = 1 - ratio.
  const metrics = { "store reads during the bench": provider.stats.reads - readsBefore };
  const targets = [];
  for (const [label, caseName, twin] of [
    ["cache off", "provider", "fixed-key"],
    ["cache on", "provider-cache", "fixed-key-cache"],
  ]) {
    if (!measured(results, caseName, twin)) continue;
    const slowdown = (1 - ratioOf(results, caseName, twin)) * 100;
    metrics[`provider slowdown, ${label} (%)`] = slowdown;
    targets.push(target(`provider slowdown, ${label}`, slowdown, "<=", 5, "%"));
  }
  return {
    baseline: "fixed-key",
    cases: results,
    metrics,
    targets,
    notes: [
      "ratios of the -cache cases are to 'fixed-key'; the targets pair each case with its twin",
      "a fresh copy of the token per call in every case (~7 ns each, the same for all)",
    ],
  };
}
