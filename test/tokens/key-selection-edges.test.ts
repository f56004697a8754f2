/**
 * Edges of choosing the key a token's `kid` names (src/tokens/key-selection.ts):
 * - a service without per-issuer keys says it does not use the named key (rather than
 *   looking the label up and reporting a missing key);
 * - a known issuer's key whose cache TTL ended is re-read outside the forced-read budget,
 *   which a flood of made-up labels may have spent, and one held fresh is used as held;
 * - a key held in memory is still refused when the service may not use it (the shared key
 *   after `acceptSharedKey: false`, an issuer outside `trustedIssuers`);
 * - the rotation grace includes its last millisecond (`rotationGraceSeconds` after the
 *   current version was created), and not one more.
 */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import type { SecretVersion } from "../../src/secrets/source.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { forgeToken } from "../support/forge.js";

const SHARED = "shared-secret-for-key-selection-edges-0123456789";
const OWN = "svc-own-secret-for-key-selection-edges-0123456789";
const ROTATED = "the-rotated-shared-secret-for-key-selection-0123456789";

async function outcome(promise: Promise<unknown>): Promise<AuthError | "accepted"> {
  return promise.then(
    () => "accepted" as const,
    (error: unknown) => {
      expect(error).toBeInstanceOf(AuthError);
      return error as AuthError;
    },
  );
}

function claimsAt(clock: ManualClock, extra: Record<string, unknown> = {}) {
  const now = Math.floor(clock.now() / 1000);
  return {
    jti: "7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d",
    groups: ["reader"],
    iat: now,
    nbf: now,
    exp: now + 86_400,
    aud: "gofr-api",
    ...extra,
  };
}

/** A memory source whose secrets can be made to answer "not found" for a while. */
class HidingSource extends MemorySecretSource {
  readonly hidden = new Set<string>();
  override async read(name: string, version?: number): Promise<SecretVersion> {
    if (this.hidden.has(name)) {
      throw new AuthError("secret_unavailable", `No signing secret '${name}' (hidden)`);
    }
    return super.read(name, version);
  }
}

/** A token naming `<label>.v1` with a garbage (but canonical) signature. */
function madeUp(label: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "HS256", kid: `${label}.v1` })}.${part({ jti: "x" })}.${"A".repeat(43)}`;
}

describe("a service without per-issuer keys", () => {
  it("refuses a token naming an issuer's key as a key it does not use, without a store read", async () => {
    const clock = new ManualClock();
    const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
    const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
    expect(tokens.keyRing.perIssuerKeys).toBe(false);
    const token = forgeToken(
      { alg: "HS256", kid: "svc.v1" },
      claimsAt(clock, { iss: "svc" }),
      TEST_SECRET,
    );
    expect(await outcome(tokens.verify(token))).toMatchObject({
      code: "token_invalid",
      message: "The token names signing key 'svc', which this service does not use",
    });
    expect(provider.source.readCount(issuerSecretName("svc"))).toBe(0);
  });
});

describe("a known issuer's key after its cache TTL", () => {
  it("is re-read even when a flood of made-up labels has spent the lookup budget", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: SHARED, [issuerSecretName("svc")]: OWN },
      clock: clock.now,
    });
    const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
    const tokens = new TokenService({ keyRing, clock: clock.now, verifiedCacheSize: 0 });
    const { token } = await tokens.forIssuer("svc").mint({ groups: ["reader"] });
    expect(await outcome(tokens.verify(token))).toBe("accepted");

    clock.advanceSeconds(keyRing.shared.cacheTtlMs / 1000 + 1); // svc's key is now stale
    // The clock stands still: 20 made-up labels spend the whole burst of 10 lookups.
    for (let i = 0; i < 20; i += 1) await outcome(tokens.verify(madeUp(`ghost${i}`)));
    const before = source.readCount(issuerSecretName("svc"));
    expect(await outcome(tokens.verify(token))).toBe("accepted");
    expect(source.readCount(issuerSecretName("svc")) - before).toBe(1);
  });
});

describe("a known issuer's key held fresh", () => {
  it("is used as held, without a lookup, even while the ring remembers the issuer as absent", async () => {
    const clock = new ManualClock();
    const source = new HidingSource({
      secrets: { [SHARED_SECRET_NAME]: SHARED, [issuerSecretName("svc")]: OWN },
      clock: clock.now,
    });
    const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
    const tokens = new TokenService({ keyRing, clock: clock.now, verifiedCacheSize: 0 });
    const v1 = await tokens.forIssuer("svc").mint({ groups: ["reader"] });
    expect(v1.kid).toBe("svc.v1");

    // svc's secret is gone when its key's TTL ends: the ring remembers svc as absent.
    source.hidden.add(issuerSecretName("svc"));
    clock.advanceSeconds(keyRing.shared.cacheTtlMs / 1000 + 1);
    expect(await outcome(tokens.verify(v1.token))).toMatchObject({
      message: expect.stringContaining("Issuer 'svc' has no signing key of its own"),
    });
    expect(keyRing.isKnownAbsent("svc")).toBe(true);
    // It is back as version 2, and svc's provider (still held) reads it: fresh in memory.
    source.hidden.clear();
    source.set(issuerSecretName("svc"), `${OWN}-v2`);
    await keyRing.providerForLabel("svc")?.refresh();
    expect(keyRing.isKnownAbsent("svc")).toBe(true);
    // The clock stands still: made-up labels spend the whole lookup budget.
    for (let i = 0; i < 20; i += 1) await outcome(tokens.verify(madeUp(`ghost${i}`)));

    // The v1 token is checked against the held v2, not refused for want of a lookup.
    expect(await outcome(tokens.verify(v1.token))).toMatchObject({
      code: "token_invalid",
      message: expect.stringContaining(
        "The token was signed with key version 1, superseded by version 2",
      ),
    });
  });
});

describe("a key held in memory that the service may not use", () => {
  it("the shared key, where acceptSharedKey is false: a token naming it is refused", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: SHARED },
      clock: clock.now,
    });
    const keyRing = new KeyRing({
      source,
      clock: clock.now,
      logger: silentLogger,
      acceptSharedKey: false,
    });
    const tokens = new TokenService({ keyRing, clock: clock.now });
    await keyRing.shared.getKey(); // held: the synchronous path must refuse as well
    const token = forgeToken({ alg: "HS256", kid: "shared.v1" }, claimsAt(clock), SHARED);
    expect(await outcome(tokens.verify(token))).toMatchObject({
      code: "issuer_untrusted",
      message: expect.stringContaining("Tokens signed with the shared key are not accepted here"),
    });
  });

  it("an issuer's own key, where trustedIssuers leaves it out: refused for its key", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: SHARED, [issuerSecretName("svc")]: OWN },
      clock: clock.now,
    });
    const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
    const minter = new TokenService({ keyRing, clock: clock.now }).forIssuer("svc");
    const { token, kid } = await minter.mint({ groups: ["reader"] }); // svc's key is held
    expect(kid).toBe("svc.v1");
    const verifier = new TokenService({ keyRing, clock: clock.now, trustedIssuers: ["gofr-auth"] });
    expect(await outcome(verifier.verify(token))).toMatchObject({
      code: "issuer_untrusted",
      message: expect.stringContaining("Tokens signed with 'svc' keys are not trusted here"),
    });
  });
});

describe("the rotation grace boundary", () => {
  it("accepts the previous version exactly rotationGraceSeconds after the rotation, not a millisecond later", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: SHARED },
      clock: clock.now,
    });
    const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
    const tokens = new TokenService({
      keyRing,
      clock: clock.now,
      rotationGraceSeconds: 60,
      verifiedCacheSize: 0,
    });
    const old = await tokens.mint({ groups: ["reader"] });
    expect(old.kid).toBe("shared.v1");

    clock.advanceSeconds(10);
    const rotatedAt = clock.now();
    source.set(SHARED_SECRET_NAME, ROTATED);
    await keyRing.secretChanged(SHARED_SECRET_NAME); // the service loads v2 now
    expect(keyRing.shared.currentKey()?.version).toBe(2);

    clock.set(rotatedAt + 60_000);
    expect(await outcome(tokens.verify(old.token))).toBe("accepted");
    clock.advance(1);
    expect(await outcome(tokens.verify(old.token))).toMatchObject({
      code: "token_invalid",
      message: expect.stringContaining("superseded by version 2"),
    });
  });
});
