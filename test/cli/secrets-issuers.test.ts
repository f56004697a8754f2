/**
 * Issue 17 item 4: issuer secrets are never created by accident and never invisible.
 * `secrets rotate --issuer <typo>` creates nothing and points at `secrets generate`;
 * `secrets status` lists every issuer secret in the store; `secrets delete --issuer X`
 * needs --yes, refuses while tokens signed with X's key are active (unless --force), and
 * says what happens to them. On the embedded store and on Vault (the double, with the
 * compose stack's admin policy).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { policyRules } from "../support/policy-rules.js";
import { cliHarness } from "./harness.js";

type Run = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

let vault: VaultDouble;
beforeAll(async () => {
  vault = new VaultDouble();
  await vault.start();
  vault.setPolicy("gofr-admin", policyRules("docker/policies/gofr-admin.hcl"));
});
const harnesses: Array<ReturnType<typeof cliHarness>> = [];
afterAll(async () => {
  for (const harness of harnesses.splice(0)) harness.cleanup();
  await vault.close();
});

let planes = 0;
const backends: Array<{ name: string; runner: () => Run }> = [
  {
    name: "embedded store",
    runner: () => {
      const harness = cliHarness();
      harnesses.push(harness);
      return harness.run;
    },
  },
  {
    name: "Vault, admin policy",
    runner: () => {
      planes += 1;
      const env = {
        GOFR_VAULT_URL: vault.url,
        GOFR_VAULT_TOKEN: vault.createToken({ policies: ["gofr-admin"] }),
      };
      return async (args) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await runCli(args, {
          env,
          io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
        });
        return { code, stdout: out.join(""), stderr: err.join("") };
      };
    },
  },
];

describe.each(backends)("issuer secrets: $name", ({ runner }) => {
  let run: Run;
  let n = 0;
  // Unique per test: the Vault double is shared by the file.
  const issuer = (base: string) => `${base}-${planes}-${n}`;
  const status = async (...args: string[]) =>
    JSON.parse((await run(["--json", "secrets", "status", ...args])).stdout) as Array<{
      issuer: string;
      source: string;
      version: number | null;
      fingerprint: string | null;
    }>;

  beforeAll(async () => {
    run = runner();
    expect((await run(["init"])).code).toBe(0);
    // Issuers other than the operator may not grant admin: mint into a plain group.
    expect((await run(["groups", "create", "work"])).code).toBe(0);
  });

  it("rotate --issuer of an issuer without its own secret creates nothing and points at generate", async () => {
    n += 1;
    const typo = issuer("depositoo");
    const rotate = await run(["secrets", "rotate", "--issuer", typo, "--yes"]);
    expect(rotate.code).toBe(1);
    expect(rotate.stderr).toContain(`Issuer '${typo}' has no signing secret of its own to rotate`);
    expect(rotate.stderr).toContain(`gofr-auth secrets generate --issuer ${typo}`);
    expect(await status("--issuer", typo)).toContainEqual(
      expect.objectContaining({ issuer: typo, source: "fallback to shared" }),
    );
  });

  it("status lists every issuer secret in the store without being asked", async () => {
    n += 1;
    const [a, b] = [issuer("deposito"), issuer("negocio")];
    for (const name of [a, b]) {
      expect((await run(["secrets", "generate", "--issuer", name])).code).toBe(0);
    }
    const rows = await status();
    expect(rows[0]).toMatchObject({ issuer: "shared", source: "shared" });
    expect(rows).toContainEqual(expect.objectContaining({ issuer: a, source: "own" }));
    expect(rows).toContainEqual(expect.objectContaining({ issuer: b, source: "own" }));
    const table = (await run(["secrets", "status"])).stdout;
    expect(table).toMatch(new RegExp(`${a}\\s+own\\s+v1\\s+sha256:`));
  });

  it("delete: needs --yes, refuses while its tokens are active, --force deletes and says what happens", async () => {
    n += 1;
    const own = issuer("billing");
    await run(["secrets", "generate", "--issuer", own]);
    const minted = await run(["tokens", "create", "-g", "work", "--issuer", own]);
    const token = minted.stdout.trim();

    expect((await run(["secrets", "delete", "--issuer", own])).code).toBe(2);
    const refused = await run(["secrets", "delete", "--issuer", own, "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/1 active tokens were signed with .*'s own key: [0-9a-f-]{36}/);
    expect(refused.stderr).toContain("--force");
    expect((await status()).map((row) => row.issuer)).toContain(own);

    const deleted = await run(["secrets", "delete", "--issuer", own, "--yes", "--force"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain("now signs with the shared secret");
    expect(deleted.stdout).toContain("1 active tokens signed with its key stop verifying");
    expect((await status()).map((row) => row.issuer)).not.toContain(own);
    expect((await run(["tokens", "inspect", token])).stdout).toContain("Record:    superseded");

    const again = await run(["secrets", "delete", "--issuer", own, "--yes"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Issuer '${own}' has no signing secret of its own to delete`);
  });

  it("tokens inspect shows the issuer's own key that signed an HS256 token, not the shared one", async () => {
    n += 1;
    const own = issuer("ledger");
    await run(["secrets", "generate", "--issuer", own]);
    expect((await run(["secrets", "rotate", "--issuer", own, "--yes"])).code).toBe(0);
    const token = (await run(["tokens", "create", "-g", "work", "--issuer", own])).stdout.trim();
    const ownRow = (await status()).find((row) => row.issuer === own);
    expect(ownRow?.version).toBe(2);

    const shown = await run(["tokens", "inspect", token]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(
      `Signed by: ${own}.v2; ${own}'s own key: current v2 ${ownRow?.fingerprint}`,
    );
    const json = JSON.parse((await run(["--json", "tokens", "inspect", token])).stdout);
    expect(json.key).toEqual({
      kid: `${own}.v2`,
      algorithm: "HS256",
      issuer: own,
      currentVersion: 2,
      currentFingerprint: ownRow?.fingerprint,
    });

    expect((await run(["secrets", "delete", "--issuer", own, "--yes", "--force"])).code).toBe(0);
    const orphan = await run(["tokens", "inspect", token]);
    expect(orphan.code).toBe(1);
    expect(orphan.stdout).toMatch(
      new RegExp(
        `^Signed by: ${own}\\.v2; ${own} has no secret of its own now; current shared key v\\d+ sha256:[0-9a-f]{12}$`,
        "m",
      ),
    );
  });

  it("delete with no active tokens of that key needs no --force", async () => {
    n += 1;
    const own = issuer("quiet");
    await run(["secrets", "generate", "--issuer", own]);
    const deleted = await run(["secrets", "delete", "--issuer", own, "--yes"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).not.toContain("stop verifying");
  });
});
