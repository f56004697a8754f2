import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fingerprint } from "../../src/secrets/fingerprint.js";
import { cliHarness } from "./harness.js";

let harness: ReturnType<typeof cliHarness>;
afterEach(() => harness?.cleanup());

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

describe("gofr-auth CLI", () => {
  it("init bootstraps the store once and a second run changes nothing", async () => {
    harness = cliHarness();
    const first = await harness.run(["init"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /Signing secret: gofr\/config\/jwt-signing-secret v1 sha256:[0-9a-f]{12} \(created\)/,
    );
    expect(first.stdout).toContain("created public, admin");
    const token = first.stdout.split("\n").find((line) => JWT.test(line));
    expect(token).toBeDefined();

    const second = await harness.run(["init"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("present, unchanged");
    expect(second.stdout).toContain("Nothing to do");
    expect(second.stdout.split("\n").some((line) => JWT.test(line))).toBe(false);

    const inspect = await harness.run(["tokens", "inspect", token as string]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain("Status:    VALID");
  });

  it("init --json reports what it did as one document, with the token only when created", async () => {
    harness = cliHarness();
    const first = JSON.parse((await harness.run(["--json", "init"])).stdout);
    expect(first.secret.created).toBe(true);
    expect(first.adminToken.token).toMatch(JWT);
    const second = JSON.parse((await harness.run(["--json", "init"])).stdout);
    expect(second).toMatchObject({ secret: { created: false }, groups: { created: [] } });
    expect(second.adminToken.token).toBeUndefined();
    expect(second.secret.fingerprint).toBe(first.secret.fingerprint);
  });

  it("init --output writes the new admin token to a 0600 file and prints no token", async () => {
    harness = cliHarness();
    const file = join(harness.dir, "admin-token");
    const run = await harness.run(["init", "--output", file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`saved to ${file} (mode 0600)`);
    expect(run.stdout.split("\n").some((line) => JWT.test(line))).toBe(false);
    const token = readFileSync(file, "utf8").trim();
    expect(token).toMatch(JWT);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await harness.run(["tokens", "inspect", token])).stdout).toContain("Status:    VALID");
    // Never overwritten: a second run has no new token and leaves the file alone.
    expect((await harness.run(["init", "--output", file])).code).toBe(0);
    expect(readFileSync(file, "utf8").trim()).toBe(token);
  });

  it("groups: create, list (table and JSON), defunct, restore", async () => {
    harness = cliHarness();
    await harness.run(["init"]);
    expect((await harness.run(["groups", "create", "finance", "-d", "Money"])).code).toBe(0);
    const list = await harness.run(["groups", "list"]);
    expect(list.stdout).toMatch(/^NAME\s+STATUS\s+RESERVED/);
    expect(list.stdout).toMatch(/finance\s+active\s+no/);
    expect(list.stdout).toContain("Total: 3 groups");
    expect((await harness.run(["groups", "defunct", "finance"])).stdout).toContain("now defunct");
    const json = JSON.parse(
      (await harness.run(["--json", "groups", "list", "--include-defunct"])).stdout,
    );
    expect(json.find((g: { name: string }) => g.name === "finance")).toMatchObject({
      isActive: false,
    });
    expect((await harness.run(["groups", "restore", "finance"])).stdout).toContain("active again");
    const reserved = await harness.run(["groups", "defunct", "admin"]);
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toMatch(/^error: .*cannot be made defunct \[group_reserved\]/);
  });

  it("tokens: create prints only the token on stdout, list, revoke, inspect fails after revoke", async () => {
    harness = cliHarness();
    await harness.run(["init"]);
    const created = await harness.run([
      "tokens",
      "create",
      "--groups",
      "admin",
      "--name",
      "ops",
      "--expires",
      "7d",
    ]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(JWT);
    expect(created.stderr).toMatch(/Created token [0-9a-f-]{36} \(ops\) for admin/);

    const list = await harness.run(["tokens", "list"]);
    expect(list.stdout).toMatch(/ops\s+active\s+admin\s+6d 23h/);
    expect(list.stdout).not.toContain(token);

    const revoked = await harness.run(["tokens", "revoke", "--name", "ops"]);
    expect(revoked.stdout).toMatch(/Token [0-9a-f-]{36} revoked/);
    const again = await harness.run(["tokens", "revoke", token]);
    expect(again.stdout).toContain("already revoked");

    const inspect = await harness.run(["tokens", "inspect", token]);
    expect(inspect.code).toBe(1);
    expect(inspect.stdout).toContain("INVALID [token_revoked]");
    expect((await harness.run(["tokens", "list", "--status", "active"])).stdout).not.toContain(
      "ops",
    );
  });

  it("tokens create --output writes a 0600 file", async () => {
    harness = cliHarness();
    await harness.run(["init"]);
    const file = join(harness.dir, "token.jwt");
    const created = await harness.run(["tokens", "create", "-g", "admin", "-o", file]);
    expect(created.stdout).toBe(`Token saved to ${file}\n`);
    expect(readFileSync(file, "utf8").trim()).toMatch(JWT);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("usage errors exit 2, failures exit 1 with one error line and a hint, no stack", async () => {
    harness = cliHarness();
    await harness.run(["init"]);
    const unknownGroup = await harness.run(["tokens", "create", "--groups", "ghost"]);
    expect(unknownGroup.code).toBe(1);
    expect(unknownGroup.stderr).toMatch(
      /^error: Group 'ghost' does not exist \[group_not_found\]\nhint: create it first/,
    );
    expect(unknownGroup.stderr).not.toMatch(/\n\s+at /);
    expect((await harness.run(["tokens", "create"])).code).toBe(2);
    expect((await harness.run(["tokens", "create", "-g", "admin", "-e", "soon"])).code).toBe(2);
    expect((await harness.run(["bogus"])).code).toBe(2);
    expect((await harness.run(["tokens", "list", "--status", "paused"])).code).toBe(2);
    const debug = await harness.run(["--debug", "tokens", "create", "--groups", "ghost"]);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it("secrets: status shows fingerprints only; rotate needs --yes and changes the fingerprint", async () => {
    harness = cliHarness();
    const init = JSON.parse((await harness.run(["--json", "init"])).stdout);
    const status = await harness.run(["secrets", "status", "--issuer", "deposito"]);
    expect(status.stdout).toMatch(/shared\s+shared\s+v1\s+sha256:[0-9a-f]{12}/);
    expect(status.stdout).toMatch(/deposito\s+fallback to shared\s+-/);
    expect((await harness.run(["secrets", "rotate"])).code).toBe(2);
    const rotated = JSON.parse(
      (await harness.run(["--json", "secrets", "rotate", "--yes"])).stdout,
    );
    expect(rotated).toMatchObject({ version: 2, oldFingerprint: init.secret.fingerprint });
    expect(rotated.newFingerprint).not.toBe(init.secret.fingerprint);
    // The old admin token was signed with v1: without grace it is now rejected.
    const inspect = await harness.run(["tokens", "inspect", init.adminToken.token]);
    expect(inspect.stdout).toContain("INVALID [token_invalid]");
  });

  it("secrets generate gives an issuer its own key, used by tokens minted for it", async () => {
    harness = cliHarness();
    await harness.run(["init"]);
    const generated = JSON.parse(
      (await harness.run(["--json", "secrets", "generate", "--issuer", "deposito"])).stdout,
    );
    expect(generated).toMatchObject({
      name: "gofr/config/jwt-signing-secrets/deposito",
      version: 1,
    });
    const again = await harness.run(["secrets", "generate", "--issuer", "deposito"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already has");
    const status = await harness.run(["secrets", "status", "--issuer", "deposito"]);
    expect(status.stdout).toMatch(/deposito\s+own\s+v1\s+sha256:/);
    const minted = await harness.run(["tokens", "create", "-g", "public", "--issuer", "deposito"]);
    const header = JSON.parse(
      Buffer.from(minted.stdout.split(".")[0] as string, "base64url").toString(),
    );
    expect(header.kid).toBe("deposito.v1");
  });

  it("never prints a signing secret", async () => {
    harness = cliHarness();
    const outputs: string[] = [];
    for (const args of [
      ["init"],
      ["secrets", "status"],
      ["--json", "secrets", "rotate", "--yes"],
      ["doctor", "--offline"],
    ]) {
      const result = await harness.run(args);
      outputs.push(result.stdout, result.stderr);
    }
    const { openAuthDatabase } = await import("../../src/sqlite/database.js");
    const { SqliteSecretSource } = await import("../../src/secrets/sqlite.js");
    const database = openAuthDatabase({ path: harness.env.GOFR_AUTH_STORE as string });
    const source = new SqliteSecretSource({ database });
    const secrets = [
      (await source.read("gofr/config/jwt-signing-secret", 1)).value,
      (await source.read("gofr/config/jwt-signing-secret", 2)).value,
    ];
    await source.close();
    database.close();
    const all = outputs.join("\n");
    for (const secret of secrets) {
      expect(all).toContain(fingerprint(secret).slice(0, 7)); // fingerprints appear...
      expect(all).not.toContain(secret); // ...values never
      expect(all).not.toContain(Buffer.from(secret, "base64").toString("hex"));
    }
  });

  it("--help teaches: commands, env variables and examples", async () => {
    harness = cliHarness();
    const help = await harness.run(["--help"]);
    expect(help.code).toBe(0);
    for (const text of [
      "init",
      "groups",
      "tokens",
      "secrets",
      "doctor",
      "GOFR_VAULT_URL",
      "Exit codes",
    ]) {
      expect(help.stdout).toContain(text);
    }
    const tokensHelp = await harness.run(["tokens", "--help"]);
    expect(tokensHelp.stdout).toContain("Examples:");
  });
});
