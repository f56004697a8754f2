/**
 * Issue 17 item 6: `tokens inspect` of a token just past its exp says why it is still
 * VALID: "expired 2 s ago; accepted for 28 s more: clock tolerance 30 s", and once the
 * tolerance is over that it is past it; --help documents the tolerance and its option.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import { cliHarness } from "./harness.js";

const harnesses: Array<ReturnType<typeof cliHarness>> = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.cleanup();
});

async function minted(lifetime: string) {
  const harness = cliHarness();
  harnesses.push(harness);
  const clock = new ManualClock(); // starts on a whole second
  const run = (args: string[]) => harness.run(args, { clock: clock.now });
  await run(["init"]);
  const token = (await run(["tokens", "create", "-g", "admin", "--expires", lifetime])).stdout;
  return { clock, run, token: token.trim() };
}

const line = (stdout: string, label: string) =>
  stdout.split("\n").find((text) => text.startsWith(label)) ?? "";

describe("tokens inspect and the clock tolerance", () => {
  it("2 s past exp: VALID, with how long it stays accepted and why", async () => {
    const { clock, run, token } = await minted("60");
    clock.advanceSeconds(62);
    const inspect = await run(["tokens", "inspect", token]);
    expect(inspect.code).toBe(0);
    expect(line(inspect.stdout, "Expires:")).toBe(
      "Expires:   2026-01-15 10:31Z (expired 2 s ago; accepted for 28 s more: clock tolerance 30 s)",
    );
    expect(line(inspect.stdout, "Status:")).toBe("Status:    VALID");
    const json = JSON.parse((await run(["--json", "tokens", "inspect", token])).stdout);
    expect(json.expiry).toEqual({
      at: "2026-01-15T10:31:00.000Z",
      clockToleranceSeconds: 30,
      expired: true,
      acceptedForSeconds: 28,
    });
  });

  it("past the tolerance: INVALID token_expired, and the line says the tolerance is over", async () => {
    const { clock, run, token } = await minted("60");
    clock.advanceSeconds(91);
    const inspect = await run(["tokens", "inspect", token]);
    expect(inspect.code).toBe(1);
    expect(line(inspect.stdout, "Expires:")).toContain(
      "(expired 31 s ago; past the clock tolerance of 30 s)",
    );
    expect(line(inspect.stdout, "Status:")).toMatch(/^Status: {4}INVALID \[token_expired\]/);
  });

  it("before exp the line shows the time left, as before", async () => {
    const { run, token } = await minted("2h");
    expect(line((await run(["tokens", "inspect", token])).stdout, "Expires:")).toBe(
      "Expires:   2026-01-15 12:30Z (2h)",
    );
  });

  it("--help documents the tolerance and the option that sets it", async () => {
    const harness = cliHarness();
    harnesses.push(harness);
    const help = await harness.run(["tokens", "inspect", "--help"]);
    expect(help.stdout).toContain("clock tolerance (30 s by default; the clockToleranceSeconds");
    expect(help.stdout).toContain("accepted for 28 s more: clock tolerance 30 s");
  });
});
