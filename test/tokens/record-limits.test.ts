/**
 * The store-checked verify used to ignore the record's `expires_at` and `fingerprint`. A
 * token must not outlive its record (an operator or the Python fleet shortening a record's
 * expiry ends the token), and a client binding in the record must be the token's `fp`.
 */
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { ManualClock } from "../../src/testing/clock.js";
import { createTestAuthService } from "../../src/testing/index.js";

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

function setup() {
  const clock = new ManualClock();
  const { auth, store } = createTestAuthService({ clock: clock.now });
  return { clock, auth, store };
}

describe("store-checked verify: the record's own limits", () => {
  it("a record that expires before its token ends the token (with the clock tolerance)", async () => {
    const { clock, auth, store } = setup();
    await auth.groups.ensureReservedGroups();
    const minted = await auth.createToken({ groups: ["public"], expiresInSeconds: 3600 });
    const record = (await store.getToken(minted.record.id)) ?? minted.record;
    await store.updateToken({ ...record, expiresAt: new Date(clock.now() + 60_000) });

    clock.advanceSeconds(60 + 29); // within the 30 s tolerance
    expect(await codeOf(auth.verifyToken(minted.token))).toBe("resolved");
    clock.advanceSeconds(1);
    expect(await codeOf(auth.verifyToken(minted.token))).toBe("token_expired");
    // Stateless verification does not read the record: the token's own exp still holds.
    expect(await codeOf(auth.verifyToken(minted.token, { stateless: true }))).toBe("resolved");
  });

  it("a record without expiry leaves the token's own exp in charge", async () => {
    const { clock, auth, store } = setup();
    await auth.groups.ensureReservedGroups();
    const minted = await auth.createToken({ groups: ["public"], expiresInSeconds: 120 });
    await store.updateToken({ ...minted.record, expiresAt: null });
    expect(await codeOf(auth.verifyToken(minted.token))).toBe("resolved");
    clock.advanceSeconds(120 + 30);
    expect(await codeOf(auth.verifyToken(minted.token))).toBe("token_expired");
  });

  it("a record bound to a client refuses a token whose fp differs or is missing", async () => {
    const { auth, store } = setup();
    await auth.groups.ensureReservedGroups();
    const bound = await auth.createToken({ groups: ["public"], fingerprint: "device-1" });
    expect(await codeOf(auth.verifyToken(bound.token))).toBe("resolved");
    await store.updateToken({ ...bound.record, fingerprint: "device-2" });
    expect(await codeOf(auth.verifyToken(bound.token))).toBe("token_invalid");

    const unbound = await auth.createToken({ groups: ["public"] });
    await store.updateToken({ ...unbound.record, fingerprint: "device-1" });
    expect(await codeOf(auth.verifyToken(unbound.token))).toBe("token_invalid");
  });

  it("a record without a binding accepts the token's fp as before", async () => {
    const { auth, store } = setup();
    await auth.groups.ensureReservedGroups();
    const bound = await auth.createToken({ groups: ["public"], fingerprint: "device-1" });
    await store.updateToken({ ...bound.record, fingerprint: null });
    expect(await codeOf(auth.verifyToken(bound.token, { fingerprint: "device-1" }))).toBe(
      "resolved",
    );
  });
});
