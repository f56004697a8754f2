import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { GroupRegistry } from "../../src/groups/registry.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { ManualClock } from "../../src/testing/clock.js";

function setup() {
  const clock = new ManualClock();
  const store = new MemoryAuthStore();
  return { clock, store, groups: new GroupRegistry(store, { clock: clock.now }) };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("GroupRegistry", () => {
  it("creates the reserved groups public and admin on first use, once", async () => {
    const { store, groups } = setup();
    expect(await store.listGroups()).toEqual([]);
    const names = (await groups.list()).map((group) => group.name);
    expect(names).toEqual(["admin", "public"]);
    await groups.list();
    await new GroupRegistry(store).ensureReservedGroups();
    expect(await store.listGroups()).toHaveLength(2);
    const admin = await groups.getByName("admin");
    expect(admin).toMatchObject({ isReserved: true, isActive: true, defunctAt: null });
  });

  it("two registries bootstrapping the same store at once create each reserved group once", async () => {
    const store = new MemoryAuthStore();
    await Promise.all([
      new GroupRegistry(store).ensureReservedGroups(),
      new GroupRegistry(store).ensureReservedGroups(),
    ]);
    expect((await store.listGroups()).map((group) => group.name).sort()).toEqual([
      "admin",
      "public",
    ]);
  });

  it("creates a group with a description and finds it by id and name", async () => {
    const { clock, groups } = setup();
    const created = await groups.create("finance", { description: "Money people" });
    expect(created).toMatchObject({
      name: "finance",
      description: "Money people",
      isActive: true,
      isReserved: false,
      createdAt: new Date(clock.now()),
    });
    expect(await groups.getById(created.id)).toEqual(created);
    expect(await groups.getByName("finance")).toEqual(created);
    expect(await groups.getByName("nope")).toBeUndefined();
  });

  it("refuses duplicate names, reserved names in any case, and invalid names", async () => {
    const { groups } = setup();
    await groups.create("finance");
    expect(await codeOf(groups.create("finance"))).toBe("group_exists");
    for (const name of ["public", "admin"]) {
      expect(await codeOf(groups.create(name))).toBe("group_reserved");
    }
    for (const name of ["PUBLIC", "Admin"]) {
      expect(await codeOf(groups.create(name))).toMatch(/^group_(reserved|name_invalid)$/);
    }
    for (const name of ["Finance", "-x", "x-", "a b", "a_b", "", "x".repeat(65)]) {
      expect(await codeOf(groups.create(name)), name).toBe("group_name_invalid");
    }
    expect(await codeOf(groups.create("x".repeat(64)))).toBe("resolved");
  });

  it("a bad name error suggests a valid spelling", async () => {
    const { groups } = setup();
    const error = (await groups.create("APAC Sales").catch((caught: Error) => caught)) as Error;
    expect(error.message).toContain("'apac-sales'");
  });

  it("makes a group defunct once, hides it from the default list, and can restore it", async () => {
    const { clock, groups } = setup();
    await groups.create("finance");
    clock.advanceSeconds(5);
    expect(await groups.makeDefunct("finance")).toBe(true);
    expect(await groups.makeDefunct("finance")).toBe(false);
    const defunct = await groups.getByName("finance");
    expect(defunct).toMatchObject({ isActive: false, defunctAt: new Date(clock.now()) });
    expect((await groups.list()).map((g) => g.name)).toEqual(["admin", "public"]);
    expect((await groups.list({ includeDefunct: true })).map((g) => g.name)).toContain("finance");
    expect(await groups.restore("finance")).toBe(true);
    expect(await groups.restore("finance")).toBe(false);
    expect(await groups.getByName("finance")).toMatchObject({ isActive: true, defunctAt: null });
  });

  it("never makes a reserved group defunct, and reports unknown groups", async () => {
    const { groups } = setup();
    expect(await codeOf(groups.makeDefunct("public"))).toBe("group_reserved");
    expect(await codeOf(groups.makeDefunct("admin"))).toBe("group_reserved");
    expect(await codeOf(groups.makeDefunct("ghost"))).toBe("group_not_found");
  });

  it("requireActive accepts active groups and names the first missing or defunct one", async () => {
    const { groups } = setup();
    await groups.create("finance");
    await groups.create("legacy");
    await groups.makeDefunct("legacy");
    expect((await groups.requireActive(["admin", "finance"])).map((g) => g.name)).toEqual([
      "admin",
      "finance",
    ]);
    const missing = (await groups.requireActive(["finance", "ghost"]).catch((e) => e)) as Error;
    expect(missing).toMatchObject({ code: "group_not_found" });
    expect(missing.message).toContain("'ghost'");
    expect(await codeOf(groups.requireActive(["legacy"]))).toBe("group_defunct");
  });
});
