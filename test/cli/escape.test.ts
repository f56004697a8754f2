/**
 * Issue 15 item 13: text that comes from a token or the store reaches the terminal inert.
 * Control characters (C0, DEL, C1 such as the one-byte CSI 0x9b) and bidirectional overrides
 * in names, descriptions, claims and error messages are printed as `\x1b` / `\u202e`;
 * `--json` output stays JSON that parses back to the original text.
 */
import { afterEach, describe, expect, it } from "vitest";
import { printable, table } from "../../src/cli/output.js";
import { openAuthDatabase } from "../../src/sqlite/database.js";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import { forgeToken } from "../support/forge.js";
import { cliHarness } from "./harness.js";

/** Clears the screen, retitles the window, rings the bell, CSI via C1, reverses text. */
const HOSTILE = "x\u001b[2J\u001b]0;pwned\u0007\u009b31m\u007f\u202etxt.exe\u2066\r\n\tend";
const ESCAPED = "x\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\x7f\\u202etxt.exe\\u2066\\x0d\\x0a\\x09end";

/** Characters that act on a terminal, other than the line breaks we print ourselves. */
function terminalControls(text: string): string[] {
  return [...text].filter((char) => {
    const code = char.codePointAt(0) ?? 0;
    if (char === "\n") return false;
    return (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069) ||
      code === 0x200e ||
      code === 0x200f ||
      code === 0x061c
    );
  });
}

const harnesses: Array<ReturnType<typeof cliHarness>> = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.cleanup();
});

async function initialised() {
  const harness = cliHarness();
  harnesses.push(harness);
  expect((await harness.run(["init"])).code).toBe(0);
  return harness;
}

describe("printable", () => {
  it("escapes C0, DEL, C1 and bidi controls and leaves other text alone", () => {
    expect(printable(HOSTILE)).toBe(ESCAPED);
    expect(printable("café ünïcode 日本 emoji 🙂 a\\b")).toBe("café ünïcode 日本 emoji 🙂 a\\b");
    expect(printable("\u061c\u200e\u200f\u202a\u2069")).toBe("\\u061c\\u200e\\u200f\\u202a\\u2069");
  });

  it("table cells are escaped before the columns are measured", () => {
    const text = table(["A", "B"], [["\u001b[2J", "y"]]);
    expect(terminalControls(text)).toEqual([]);
    expect(text).toBe("A        B\n\\x1b[2J  y\n");
  });
});

describe("human output of store and token text", () => {
  it("groups list escapes a stored description; --json keeps it as JSON", async () => {
    const harness = await initialised();
    expect((await harness.run(["groups", "create", "ops", "-d", HOSTILE])).code).toBe(0);
    const human = await harness.run(["groups", "list"]);
    expect(human.code).toBe(0);
    expect(terminalControls(human.stdout)).toEqual([]);
    expect(human.stdout).toContain(ESCAPED);
    const json = await harness.run(["--json", "groups", "list"]);
    const groups = JSON.parse(json.stdout) as Array<{ name: string; description: string }>;
    expect(groups.find((group) => group.name === "ops")?.description).toBe(HOSTILE);
  });

  it("tokens list escapes a name and groups another writer stored", async () => {
    const harness = await initialised();
    // Names are checked when this CLI mints; another writer of the store (the Python
    // fleet, a restored backup, a tampered file) is not bound by that.
    const database = openAuthDatabase({ path: harness.env.GOFR_AUTH_STORE as string });
    const store = new SqliteAuthStore({ database });
    await store.insertToken({
      id: "7b1d0c9e-5a39-4f4e-9a0e-1c2d3e4f5a6b",
      name: `n${HOSTILE}`,
      groups: [`g${HOSTILE}`],
      status: "active",
      createdAt: new Date(),
      expiresAt: null,
      revokedAt: null,
      fingerprint: null,
    });
    await store.close();
    const listed = await harness.run(["tokens", "list"]);
    expect(listed.code).toBe(0);
    expect(terminalControls(listed.stdout)).toEqual([]);
    expect(listed.stdout).toContain(`n${ESCAPED}`);
    expect(listed.stdout).toContain(`g${ESCAPED}`);
    const json = JSON.parse((await harness.run(["--json", "tokens", "list"])).stdout) as Array<{
      name: string;
    }>;
    expect(json.map((record) => record.name)).toContain(`n${HOSTILE}`);
  });

  it("tokens inspect escapes the claims, header and the reason a token is invalid", async () => {
    const harness = await initialised();
    const token = forgeToken(
      { alg: "HS256", typ: "JWT", kid: `k${HOSTILE}.v1` },
      { iss: `i${HOSTILE}`, sub: `s${HOSTILE}`, aud: "gofr-api", exp: 4_000_000_000 },
      "not-the-store-secret-0123456789-0123456789",
    );
    const inspected = await harness.run(["tokens", "inspect", token]);
    expect(inspected.code).toBe(1); // invalid: it is not signed with the store's key
    expect(terminalControls(inspected.stdout)).toEqual([]);
    expect(terminalControls(inspected.stderr)).toEqual([]);
    // JSON.stringify escapes C0 in the Header and Claims lines but not C1 or bidi: these are
    // escaped on top. The kid is quoted as it came, on one line.
    expect(inspected.stdout).toContain("\\x9b31m\\x7f\\u202etxt.exe\\u2066");
    expect(inspected.stdout).toMatch(/^Signed by: kx\\x1b\[2J\\x1b\]0;pwned/m);
    expect(inspected.stdout.split("\n").filter(Boolean)).toHaveLength(6);
    const json = JSON.parse((await harness.run(["--json", "tokens", "inspect", token])).stdout);
    expect(json.claims.iss).toBe(`i${HOSTILE}`);
  });

  it("an error message quoting a name is escaped", async () => {
    const harness = await initialised();
    const failed = await harness.run(["groups", "defunct", `no-such${HOSTILE}`]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error: /);
    expect(terminalControls(failed.stderr)).toEqual([]);
    expect(failed.stderr).toContain("\\x1b[2J");
  });
});
