/**
 * Issue 17 item 3: `tokens list` has one status per token (active, expired, revoked,
 * superseded), the same in the table, in --json and for --status, and it is what services
 * answer: expired tokens are not active, and tokens signed with a rotated-away key version
 * (the init admin token too) are superseded once no rotation grace covers them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import { cliHarness } from "./harness.js";

const harnesses: Array<ReturnType<typeof cliHarness>> = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.cleanup();
});

/** A harness whose every run uses one manual clock. */
function clocked(env: Record<string, string> = {}) {
  const harness = cliHarness(env);
  harnesses.push(harness);
  const clock = new ManualClock();
  const run = (args: string[]) => harness.run(args, { clock: clock.now });
  const statuses = async (...filter: string[]) => {
    const list = await run(["--json", "tokens", "list", ...filter]);
    expect(list.code, list.stderr).toBe(0);
    const records = JSON.parse(list.stdout) as Array<{ name: string; status: string }>;
    return Object.fromEntries(records.map((record) => [record.name, record.status]));
  };
  return { clock, run, statuses };
}

describe("tokens list status", () => {
  it("an expired token is expired in the table, the JSON and the --status filter", async () => {
    const { clock, run, statuses } = clocked();
    await run(["init"]);
    await run(["tokens", "create", "-g", "admin", "--name", "short", "--expires", "60"]);
    clock.advanceSeconds(120);

    const table = await run(["tokens", "list"]);
    expect(table.stdout).toMatch(/short\s+expired\s+admin\s+expired/);
    expect(await statuses()).toEqual({ short: "expired", "init-admin": "active" });
    expect(await statuses("--status", "active")).toEqual({ "init-admin": "active" });
    expect(await statuses("--status", "expired")).toEqual({ short: "expired" });
    expect(await statuses("--status", "revoked")).toEqual({});
  });

  it("after a rotation, tokens of the old version are superseded; new ones are active", async () => {
    const { clock, run, statuses } = clocked();
    const init = JSON.parse((await run(["--json", "init"])).stdout);
    await run(["tokens", "create", "-g", "admin", "--name", "before"]);
    clock.advanceSeconds(1);
    expect((await run(["secrets", "rotate", "--yes"])).code).toBe(0);
    clock.advanceSeconds(1);
    await run(["tokens", "create", "-g", "admin", "--name", "after"]);

    expect(await statuses()).toEqual({
      after: "active",
      before: "superseded",
      "init-admin": "superseded",
    });
    expect(await statuses("--status", "active")).toEqual({ after: "active" });
    expect(Object.keys(await statuses("--status", "superseded")).sort()).toEqual([
      "before",
      "init-admin",
    ]);
    expect((await run(["tokens", "list"])).stdout).toMatch(/init-admin\s+superseded\s+admin/);
    // What a service answers agrees: the old admin token is refused.
    const inspect = await run(["tokens", "inspect", init.adminToken.token]);
    expect(inspect.stdout).toContain("Record:    superseded, name init-admin");
    expect(inspect.stdout).toContain("INVALID [token_invalid]");
  });

  it("within <PREFIX>_ROTATION_GRACE the previous version's tokens stay active, then not", async () => {
    const { clock, run, statuses } = clocked({ GOFR_ROTATION_GRACE: "3600" });
    await run(["init"]);
    clock.advanceSeconds(1);
    await run(["secrets", "rotate", "--yes"]);
    clock.advanceSeconds(1);
    await run(["tokens", "create", "-g", "admin", "--name", "v2-token"]);
    clock.advanceSeconds(1);
    await run(["secrets", "rotate", "--yes"]);

    // v1 is two versions back: no grace covers it; v2 is the previous version.
    expect(await statuses()).toEqual({ "init-admin": "superseded", "v2-token": "active" });
    clock.advanceSeconds(3601);
    expect(await statuses()).toEqual({ "init-admin": "superseded", "v2-token": "superseded" });
  });

  it("an unknown --status is a usage error listing the four; --help says how superseded is derived", async () => {
    const { run } = clocked();
    await run(["init"]);
    const wrong = await run(["tokens", "list", "--status", "paused"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("active, expired, revoked, superseded");
    const help = await run(["tokens", "list", "--help"]);
    expect(help.stdout).toContain("derived from the record's created_at");
  });
});
