import { describe, expect, it } from "vitest";
import { AuthContext } from "../src/auth-context.js";
import type { AuthErrorCode } from "../src/errors.js";
import { createTestAuthService, ManualClock, TEST_SECRET } from "../src/testing/index.js";
import { forgeToken } from "./support/forge.js";

function setup() {
  const clock = new ManualClock();
  return { clock, ...createTestAuthService({ clock: clock.now }) };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("AuthService", () => {
  it("creates a token for existing groups, stores its record, and verifies it", async () => {
    const { auth, store } = setup();
    await auth.groups.create("finance");
    const { token, record } = await auth.createToken({ groups: ["finance"], name: " Dev-API " });
    expect(record.name).toBe("dev-api");
    expect(await store.getToken(record.id)).toEqual(record);
    const context = await auth.verifyToken(token);
    expect(context).toBeInstanceOf(AuthContext);
    expect(context.tokenId).toBe(record.id);
    expect(context.groups).toEqual(["finance", "public"]);
    expect(context.subject).toBe("dev-api");
    expect(context.issuer).toBe("gofr-auth");
    expect(context.keyId).toBe("shared.v1");
    expect(context.expiresAt).toEqual(record.expiresAt);
  });

  it("refuses unknown or defunct groups and duplicate or invalid names, storing nothing", async () => {
    const { auth, store } = setup();
    await auth.groups.create("legacy");
    await auth.groups.makeDefunct("legacy");
    expect(await codeOf(auth.createToken({ groups: ["ghost"] }))).toBe("group_not_found");
    expect(await codeOf(auth.createToken({ groups: ["legacy"] }))).toBe("group_defunct");
    expect(await codeOf(auth.createToken({ groups: ["admin"], name: "x" }))).toBe(
      "token_name_invalid",
    );
    expect(await store.listTokens()).toEqual([]);
    await auth.createToken({ groups: ["admin"], name: "ops" });
    expect(await codeOf(auth.createToken({ groups: ["admin"], name: "OPS" }))).toBe(
      "token_name_taken",
    );
    expect(await store.listTokens()).toHaveLength(1);
  });

  it("a revoked token is rejected when store-checked and accepted statelessly while valid", async () => {
    const { clock, auth } = setup();
    const { token, record } = await auth.createToken({ groups: ["admin"], expiresInSeconds: 600 });
    clock.advanceSeconds(10);
    const result = await auth.revokeToken(token);
    expect(result.changed).toBe(true);
    expect(result.record).toMatchObject({ status: "revoked", revokedAt: new Date(clock.now()) });
    expect((await auth.getToken(record.id))?.status).toBe("revoked");
    expect(await codeOf(auth.verifyToken(token))).toBe("token_revoked");
    expect(await codeOf(auth.verifyToken(token, { stateless: true }))).toBe("resolved");
    expect((await auth.revokeToken(record.id)).changed).toBe(false);
  });

  it("an unknown-jti token is rejected when store-checked and accepted statelessly", async () => {
    const { clock, auth } = setup();
    const now = Math.floor(clock.now() / 1000);
    const foreign = forgeToken(
      { alg: "HS256" },
      {
        jti: "0b7c7f3e-1111-4222-8333-944455556666",
        groups: ["admin"],
        iat: now,
        nbf: now,
        exp: now + 60,
        aud: "gofr-api",
      },
      TEST_SECRET,
    );
    expect(await codeOf(auth.verifyToken(foreign))).toBe("token_not_found");
    const context = await auth.verifyToken(foreign, { stateless: true });
    expect(context.groups).toEqual(["admin", "public"]);
  });

  it("rejects a token whose groups differ from its stored record", async () => {
    const { auth, store } = setup();
    await auth.groups.create("finance");
    const { token, record } = await auth.createToken({ groups: ["finance"] });
    await store.updateToken({ ...record, groups: ["public"] });
    expect(await codeOf(auth.verifyToken(token))).toBe("token_invalid");
  });

  it("revokes by id without needing a token, and an expired token can still be revoked", async () => {
    const { clock, auth } = setup();
    const first = await auth.createToken({ groups: ["admin"], expiresInSeconds: 60 });
    clock.advanceSeconds(3600);
    expect((await auth.revokeToken(first.token)).changed).toBe(true);
    const second = await auth.createToken({ groups: ["admin"] });
    expect((await auth.revokeToken(second.record.id.toUpperCase())).changed).toBe(true);
    expect(await codeOf(auth.revokeToken("00000000-0000-4000-8000-000000000000"))).toBe(
      "token_not_found",
    );
    expect(await codeOf(auth.revokeToken("not a token"))).toBe("invalid_input");
  });

  it("lists tokens newest first and filters by status", async () => {
    const { clock, auth } = setup();
    const a = await auth.createToken({ groups: ["admin"], name: "first" });
    clock.advanceSeconds(1);
    const b = await auth.createToken({ groups: ["admin"], name: "second" });
    await auth.revokeToken(a.record.id);
    expect((await auth.listTokens()).map((r) => r.name)).toEqual(["second", "first"]);
    expect((await auth.listTokens({ status: "active" })).map((r) => r.id)).toEqual([b.record.id]);
    expect((await auth.listTokens({ status: "revoked" })).map((r) => r.id)).toEqual([a.record.id]);
    expect((await auth.getTokenByName("First"))?.id).toBe(a.record.id);
  });

  it("resolves a token's groups to stored groups, always including public", async () => {
    const { auth } = setup();
    await auth.groups.create("finance");
    await auth.groups.create("legacy");
    const { token } = await auth.createToken({ groups: ["finance", "legacy"] });
    await auth.groups.makeDefunct("legacy");
    const names = (await auth.resolveTokenGroups(token)).map((g) => g.name);
    expect(names).toEqual(["finance", "public"]);
    const all = (await auth.resolveTokenGroups(token, { includeDefunct: true })).map((g) => g.name);
    expect(all).toEqual(["finance", "legacy", "public"]);
  });

  it("AuthContext group helpers", async () => {
    const { auth } = setup();
    await auth.groups.create("finance");
    const { token } = await auth.createToken({ groups: ["finance"] });
    const context = await auth.verifyToken(token);
    expect(context.hasGroup("finance")).toBe(true);
    expect(context.hasGroup("public")).toBe(true);
    expect(context.hasGroup("admin")).toBe(false);
    expect(context.hasAnyGroup(["admin", "finance"])).toBe(true);
    expect(context.hasAnyGroup(["admin"])).toBe(false);
    expect(context.hasAllGroups(["finance", "public"])).toBe(true);
    expect(context.hasAllGroups(["finance", "admin"])).toBe(false);
    expect(context.hasAllGroups([])).toBe(true);
    const signature = token.split(".")[2] as string;
    expect(JSON.stringify(context)).not.toContain(signature);
  });
});
