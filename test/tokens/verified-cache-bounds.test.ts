/**
 * The verified-token cache (src/tokens/verified-cache.ts) is keyed by whole tokens, which
 * anyone can make up by the million: it must hold at most `verifiedCacheSize` of them
 * (least recently used out first), or it is a memory DoS. And a token whose key changed
 * under it (the store re-created with a new secret at the same version) must leave the
 * cache, not keep a slot and a reference to the old key.
 *
 * Through TokenService the cache shows in one documented way: every verification of a
 * cached token returns the same frozen claims object, and a miss parses a new one.
 */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import {
  issuerSecretName,
  type SecretSource,
  type SecretVersion,
  SHARED_SECRET_NAME,
} from "../../src/secrets/source.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import type { TokenClaims } from "../../src/tokens/claims.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { VerifiedCache, type VerifiedEntry } from "../../src/tokens/verified-cache.js";

const SHARED = "shared-secret-for-the-cache-bounds-tests-0123456789";
const OWN = "svc-own-secret-for-the-cache-bounds-tests-0123456789";
const OWN_RECREATED = "svc-secret-written-anew-after-the-store-was-wiped-987654";

/** Claims of a successful verification. */
async function claimsOf(tokens: TokenService, token: string): Promise<TokenClaims> {
  return (await tokens.verify(token)).claims;
}

describe("VerifiedCache", () => {
  it("holds at most its size, the most recently set entries", () => {
    const cache = new VerifiedCache(3);
    const entry = (i: number) => ({ payload: i }) as unknown as VerifiedEntry;
    for (let i = 0; i < 1000; i += 1) cache.set(`token-${i}`, entry(i));
    const held = [];
    for (let i = 0; i < 1000; i += 1) if (cache.get(`token-${i}`)) held.push(i);
    expect(held).toEqual([997, 998, 999]);
  });
});

describe("the verified-token cache through TokenService", () => {
  function setup(verifiedCacheSize: number) {
    const clock = new ManualClock();
    const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
    const tokens = new TokenService({
      secretProvider: provider,
      clock: clock.now,
      verifiedCacheSize,
    });
    return { tokens };
  }

  it("a cached token returns the same claims object, so identity shows a hit", async () => {
    const { tokens } = setup(2);
    const { token } = await tokens.mint({ groups: ["reader"] });
    const first = await claimsOf(tokens, token);
    expect(await claimsOf(tokens, token)).toBe(first);
  });

  it("keeps only verifiedCacheSize tokens: the least recently used one is parsed again", async () => {
    const { tokens } = setup(2);
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map(async (name) => (await tokens.mint({ groups: ["reader"], name })).token),
    );
    const claimsA = await claimsOf(tokens, a as string);
    const claimsB = await claimsOf(tokens, b as string);
    expect(await claimsOf(tokens, a as string)).toBe(claimsA); // a is now the most recent
    const claimsC = await claimsOf(tokens, c as string); // evicts b, not a
    expect(await claimsOf(tokens, a as string)).toBe(claimsA);
    expect(await claimsOf(tokens, c as string)).toBe(claimsC);
    const againB = await claimsOf(tokens, b as string);
    expect(againB).not.toBe(claimsB);
    expect(againB).toEqual(claimsB);
  });
});

/** Secrets at version 1 that can be wiped and written anew (KV v2 restarts at version 1). */
class RecreatableSource implements SecretSource {
  readonly description = "re-creatable test source";
  private readonly secrets = new Map<string, SecretVersion>();
  constructor(private readonly clock: () => number) {}

  /** Writes `name` as version 1, created now (a first write, or the store re-created). */
  create(name: string, value: string): void {
    this.secrets.set(name, { value, version: 1, createdAt: new Date(this.clock()) });
  }

  async read(name: string): Promise<SecretVersion> {
    const secret = this.secrets.get(name);
    if (!secret) throw new AuthError("secret_unavailable", `No secret '${name}'`);
    return { ...secret };
  }
}

describe("a cached token whose key changed under it", () => {
  it("is refused and leaves the cache, so its slot serves other tokens", async () => {
    const clock = new ManualClock();
    const source = new RecreatableSource(clock.now);
    source.create(SHARED_SECRET_NAME, SHARED);
    source.create(issuerSecretName("svc"), OWN);
    const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
    const tokens = new TokenService({ keyRing, clock: clock.now, verifiedCacheSize: 2 });
    const shared1 = (await tokens.mint({ groups: ["reader"], name: "one" })).token;
    const shared2 = (await tokens.mint({ groups: ["reader"], name: "two" })).token;
    const own = await tokens.forIssuer("svc").mint({ groups: ["reader"] });
    expect(own.kid).toBe("svc.v1");

    const claims1 = await claimsOf(tokens, shared1);
    await claimsOf(tokens, own.token); // the cache: shared1, own
    expect(await claimsOf(tokens, own.token)).toBeDefined(); // a hit

    // The store is wiped and svc's secret written anew: a new secret, again version 1.
    clock.advanceSeconds(1);
    source.create(issuerSecretName("svc"), OWN_RECREATED);
    await keyRing.secretChanged(issuerSecretName("svc"));
    const refused = await tokens.verify(own.token).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: "token_invalid" });

    // With the refused token gone, one more token fits beside shared1 without evicting it.
    await claimsOf(tokens, shared2);
    expect(await claimsOf(tokens, shared1)).toBe(claims1);
  });
});
