import { describe, expect, it } from "vitest";
import { AuthError } from "../src/errors.js";
import { createTestAuthService, ManualClock } from "../src/testing/index.js";

// Each refusal of the store-checked verify, revoke and create says what happened, what to
// do (the hint an operator reads in the log) and which token (`token_id`), and the checks run
// in the order the docs promise. Codes alone are covered by auth-service.test.ts.

function setup() {
  const clock = new ManualClock();
  return { clock, ...createTestAuthService({ clock: clock.now }) };
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return { code: error.code, message: error.message, hint: error.hint, details: error.details };
}

describe("AuthService refusals", () => {
  it("a taken name is refused before the groups are checked or a token is minted", async () => {
    const { auth, store } = setup();
    await auth.createToken({ groups: ["admin"], name: "ops" });
    // 'ghost' does not exist: the name check must answer first, naming the name.
    expect(await refusal(auth.createToken({ groups: ["ghost"], name: " OPS " }))).toEqual({
      code: "token_name_taken",
      message:
        "A token named 'ops' already exists (hint: pick another name, or list tokens to find the existing one)",
      hint: "pick another name, or list tokens to find the existing one",
      details: {},
    });
    expect(await store.listTokens()).toHaveLength(1);
  });

  it("a token missing from the store names its id and the likely cause", async () => {
    const clock = new ManualClock();
    const minting = createTestAuthService({ clock: clock.now }).auth;
    const { token, record } = await minting.createToken({ groups: ["admin"] });
    // Same key, another (empty) store: a wrong Vault path prefix looks like this.
    const { auth } = createTestAuthService({ clock: clock.now });
    expect(await refusal(auth.verifyToken(token))).toEqual({
      code: "token_not_found",
      message:
        "The token is not in the token store (hint: it was minted against another store (check the Vault path prefix) or deleted)",
      hint: "it was minted against another store (check the Vault path prefix) or deleted",
      details: { token_id: record.id },
    });
  });

  it("a revoked token names its id", async () => {
    const { auth } = setup();
    const { token, record } = await auth.createToken({ groups: ["admin"] });
    await auth.revokeToken(record.id);
    expect(await refusal(auth.verifyToken(token))).toEqual({
      code: "token_revoked",
      message: "The token has been revoked",
      hint: undefined,
      details: { token_id: record.id },
    });
  });

  it("a token replaying another issuer's record says whose it is and what to do", async () => {
    const { auth, store } = setup();
    const { token, record } = await auth.createToken({ groups: ["admin"] });
    await store.updateToken({ ...record, issuer: "billing" });
    expect(await refusal(auth.verifyToken(token))).toEqual({
      code: "token_issuer_mismatch",
      message:
        "The token is not its record's: it claims issuer 'gofr-auth', its record was minted by 'billing' (hint: the token id was minted by another issuer or key; mint a new token)",
      hint: "the token id was minted by another issuer or key; mint a new token",
      details: { token_id: record.id },
    });
  });

  it("groups that differ from the record name the token", async () => {
    const { auth, store } = setup();
    await auth.groups.create("finance");
    const { token, record } = await auth.createToken({ groups: ["finance"] });
    await store.updateToken({ ...record, groups: ["public"] });
    expect(await refusal(auth.verifyToken(token))).toEqual({
      code: "token_invalid",
      message: "The token's groups differ from its stored record",
      hint: undefined,
      details: { token_id: record.id },
    });
  });

  it("a record that expires before its token says when", async () => {
    const { clock, auth, store } = setup();
    const { token, record } = await auth.createToken({ groups: ["admin"], expiresInSeconds: 3600 });
    const recordExpiry = new Date(clock.now() + 60_000);
    await store.updateToken({ ...record, expiresAt: recordExpiry });
    expect((await auth.verifyToken(token)).tokenId).toBe(record.id);
    clock.advanceSeconds(60 + auth.tokens.clockToleranceSeconds);
    expect(await refusal(auth.verifyToken(token))).toEqual({
      code: "token_expired",
      message: "The token's record has expired (hint: mint a new token)",
      hint: "mint a new token",
      details: { token_id: record.id, expired_at: recordExpiry.toISOString() },
    });
  });

  it("a record bound to a client refuses a token without that binding and names it", async () => {
    const { auth, store } = setup();
    const { token, record } = await auth.createToken({ groups: ["admin"] });
    await store.updateToken({ ...record, fingerprint: "device-7" });
    expect(await refusal(auth.verifyToken(token))).toEqual({
      code: "token_invalid",
      message:
        "The token is not bound to the client its record names (hint: the record's fingerprint and the token's fp claim differ; mint a new token)",
      hint: "the record's fingerprint and the token's fp claim differ; mint a new token",
      details: { token_id: record.id },
    });
  });

  it("revoking an unknown id or something that is neither an id nor a token says how to find the id", async () => {
    const { auth } = setup();
    const id = "00000000-0000-4000-8000-000000000000";
    expect(await refusal(auth.revokeToken(id))).toEqual({
      code: "token_not_found",
      message: `No token with id ${id} (hint: list tokens to find the id)`,
      hint: "list tokens to find the id",
      details: {},
    });
    expect(await refusal(auth.revokeToken("not a token"))).toEqual({
      code: "invalid_input",
      message: "Expected a token id (UUID) or a token (hint: list tokens to find the id)",
      hint: "list tokens to find the id",
      details: {},
    });
  });

  it("resolved groups include public even when a store holds it as inactive", async () => {
    // Registries never make `public` defunct; a store edited by hand or by an older fleet
    // member may still hold it inactive, and every authenticated caller is in `public`.
    const { auth, store } = setup();
    await auth.groups.create("finance");
    const { token } = await auth.createToken({ groups: ["finance"] });
    const publicGroup = await auth.groups.getByName("public");
    if (!publicGroup) throw new Error("the registry creates public on first use");
    await store.updateGroup({ ...publicGroup, isActive: false, defunctAt: new Date(0) });
    const names = (await auth.resolveTokenGroups(token)).map((group) => group.name);
    expect(names).toEqual(["finance", "public"]);
  });

  it("resolved groups hold public once when the token names it", async () => {
    const { auth } = setup();
    const { token } = await auth.createToken({ groups: ["public"] });
    const names = (await auth.resolveTokenGroups(token)).map((group) => group.name);
    expect(names).toEqual(["public"]);
  });
});
