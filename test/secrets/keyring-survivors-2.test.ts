/**
 * Issue 13 (mutation testing), second pass: KeyRing behaviours that surviving mutants
 * showed no test pinned down: its default logger, how long an absence is remembered, joined
 * lookups, the TTL issuers' providers inherit, and when the fallback WARNING is not due.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { OPERATOR_ISSUER } from "../../src/tokens/claims.js";
import { captureLogger } from "../support/capture-logger.js";
import { DEPOSITO, ring, SHARED } from "./keyring-fixture.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("KeyRing default logger", () => {
  it("without a logger it writes WARNING lines to stderr as jwt-keyring", async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const clock = new ManualClock();
    const source = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: SHARED },
      clock: clock.now,
    });
    await new KeyRing({ source, clock: clock.now }).mintingKey("deposito"); // fallback WARNING
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: "WARNING",
      logger: "jwt-keyring",
      msg: "Issuer has no signing secret of its own; using the shared secret",
    });
  });
});

describe("KeyRing absent issuers", () => {
  it("an issuer without a secret is remembered as absent for the cache TTL by default", async () => {
    const { clock, keyRing, source } = ring();
    expect(await keyRing.ownKey("deposito")).toBeUndefined();
    clock.advanceSeconds(299);
    expect(keyRing.isKnownAbsent("deposito")).toBe(true);
    expect(await keyRing.ownKey("deposito")).toBeUndefined();
    expect(source.readCount(issuerSecretName("deposito"))).toBe(1);
  });

  it("concurrent lookups of an unknown issuer share one store read", async () => {
    const { keyRing, source } = ring({ secrets: { [issuerSecretName("deposito")]: DEPOSITO } });
    const [first, second] = await Promise.all([
      keyRing.ownKey("deposito"),
      keyRing.ownKey("deposito"),
    ]);
    expect(first?.value).toBe(DEPOSITO);
    expect(second).toBe(first);
    expect(source.readCount(issuerSecretName("deposito"))).toBe(1);
  });
});

describe("KeyRing issuer providers", () => {
  it("without cacheTtlSeconds, an issuer's provider caches as long as the given shared provider", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: SHARED, [issuerSecretName("deposito")]: DEPOSITO },
      clock: clock.now,
    });
    const shared = new JwtSecretProvider({
      source,
      cacheTtlSeconds: 60,
      clock: clock.now,
      logger: captureLogger(),
    });
    const keyRing = new KeyRing({ source, shared, clock: clock.now, logger: captureLogger() });
    await keyRing.ownKey("deposito");
    expect(keyRing.providerForLabel("deposito")?.cacheTtlMs).toBe(60_000);
  });
});

describe("KeyRing shared fallback WARNING is not due", () => {
  it("a ring without per-issuer keys signs every issuer with the shared key silently", async () => {
    const { keyRing, warnings } = ring({ perIssuerKeys: false });
    const minting = await keyRing.mintingKey("deposito");
    expect(minting.provider).toBe(keyRing.shared);
    expect(warnings()).toEqual([]);
  });

  it("the operator CLI signing with the shared key is not warned about", async () => {
    const { keyRing, warnings } = ring();
    const minting = await keyRing.mintingKey(OPERATOR_ISSUER);
    expect(minting.provider).toBe(keyRing.shared);
    expect(warnings()).toEqual([]);
  });
});
