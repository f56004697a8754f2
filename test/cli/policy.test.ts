/**
 * Issue 15 item 1: `gofr-auth policy --issuer X` prints the Vault policy of one service: read
 * on its own issuer's signing secret, on the shared one only with --migrating, on other
 * issuers' only with --verifies (which, with HS256, also lets it mint as them: --help says
 * so), and read/list on the auth records. The printed HCL is evaluated with the double's
 * ACL engine (Vault's algorithm) to show what it grants and what it does not.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseHclPolicy } from "../../src/testing/vault-double/acl.js";
import { MergedAcl } from "../../src/testing/vault-double/acl-eval.js";
import { cliHarness } from "./harness.js";

const harnesses: Array<ReturnType<typeof cliHarness>> = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.cleanup();
});

async function policy(args: string[]) {
  const harness = cliHarness();
  harnesses.push(harness);
  return harness.run(["policy", ...args]);
}

/** The capabilities the HCL grants on `path`, by Vault's ACL algorithm. */
function grants(hcl: string, path: string, list = false): string[] {
  return [...new MergedAcl([parseHclPolicy(hcl)]).capabilities(path, list)].sort();
}

const KEY = (issuer: string) => `secret/data/gofr/config/jwt-signing-secrets/${issuer}`;
const SHARED = "secret/data/gofr/config/jwt-signing-secret";

describe("gofr-auth policy", () => {
  it("grants its own issuer's secret and the records, read only; no other key", async () => {
    const printed = await policy(["--issuer", "billing"]);
    expect(printed.code, printed.stderr).toBe(0);
    const hcl = printed.stdout;
    expect(grants(hcl, KEY("billing"))).toEqual(["read"]);
    expect(grants(hcl, KEY("deposito"))).toEqual([]);
    expect(grants(hcl, KEY("gofr-auth"))).toEqual([]);
    expect(grants(hcl, SHARED)).toEqual([]); // not migrating
    expect(grants(hcl, "secret/data/gofr/config/anything-else")).toEqual([]);
    expect(grants(hcl, "secret/data/gofr/auth/tokens/3f2b")).toEqual(["read"]);
    expect(grants(hcl, "secret/metadata/gofr/auth/tokens/", true)).toEqual(["list", "read"]);
    expect(grants(hcl, "secret/metadata/gofr/config/jwt-signing-secrets/", true)).toEqual([]);
    expect(hcl).toContain("#   gofr-auth policy --issuer billing\n");
  });

  it("--migrating adds the shared secret; --verifies adds those issuers, saying it can mint as them", async () => {
    const printed = await policy([
      "--issuer",
      "billing",
      "--migrating",
      "--verifies",
      "deposito,gofr-auth,billing",
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    const hcl = printed.stdout;
    expect(grants(hcl, SHARED)).toEqual(["read"]);
    expect(grants(hcl, KEY("deposito"))).toEqual(["read"]);
    expect(grants(hcl, KEY("gofr-auth"))).toEqual(["read"]);
    expect(grants(hcl, KEY("negocio"))).toEqual([]);
    expect(hcl).toContain("service can mint tokens in the name of deposito");
    expect(hcl).toContain("--migrating --verifies deposito,gofr-auth\n"); // own issuer dropped
    // No rule on the paths anyone writes.
    for (const rule of parseHclPolicy(hcl)) {
      expect(rule.capabilities.filter((c) => c !== "read" && c !== "list")).toEqual([]);
    }
  });

  it("--mount and --path-prefix move every rule; --json lists the rules with the HCL", async () => {
    const printed = await policy([
      "--json",
      "--issuer",
      "billing",
      "--mount",
      "kv",
      "--path-prefix",
      "team/auth",
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    const report = JSON.parse(printed.stdout) as {
      rules: Array<{ path: string; capabilities: string[] }>;
      hcl: string;
    };
    expect(report.rules).toEqual([
      { path: "kv/data/gofr/config/jwt-signing-secrets/billing", capabilities: ["read"] },
      { path: "kv/data/team/auth/*", capabilities: ["read"] },
      { path: "kv/metadata/team/auth/*", capabilities: ["list", "read"] },
      { path: "transit/keys/jwt-*", capabilities: ["read"] },
    ]);
    expect(parseHclPolicy(report.hcl)).toEqual(report.rules);
  });

  it("reads EdDSA issuers' public keys; signs only with its own Transit key, and only with --mints-eddsa", async () => {
    // Transit: reading a key is `read` on <mount>/keys/<name>, signing an `update` on
    // <mount>/sign/<name> (docs/vault-contract.md row 44).
    const verifier = (await policy(["--issuer", "billing"])).stdout;
    expect(grants(verifier, "transit/keys/jwt-deposito")).toEqual(["read"]);
    expect(grants(verifier, "transit/keys/jwt-billing")).toEqual(["read"]);
    expect(grants(verifier, "transit/keys/other-key")).toEqual([]);
    expect(grants(verifier, "transit/sign/jwt-billing")).toEqual([]);
    expect(grants(verifier, "transit/sign/jwt-deposito")).toEqual([]);

    const printed = await policy([
      "--issuer",
      "deposito",
      "--mints-eddsa",
      "--transit-mount",
      "tr",
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    const minter = printed.stdout;
    expect(grants(minter, "tr/sign/jwt-deposito")).toEqual(["update"]);
    expect(grants(minter, "tr/sign/jwt-billing")).toEqual([]);
    expect(grants(minter, "tr/keys/jwt-billing")).toEqual(["read"]);
    expect(grants(minter, "tr/keys/jwt-deposito/rotate")).toEqual(["read"]); // not update
    expect(grants(minter, "transit/sign/jwt-deposito")).toEqual([]);
    expect(minter).toContain(
      "#   gofr-auth policy --issuer deposito --mints-eddsa --transit-mount tr\n",
    );
  });

  it("refuses an issuer name that is not one (exit 2)", async () => {
    for (const bad of ["Billing", "a/../b", "*", "x y"]) {
      const printed = await policy(["--issuer", bad]);
      expect(printed.code, bad).toBe(2);
      expect(printed.stderr).toContain("is not an issuer name");
    }
    expect((await policy(["--issuer", "ok", "--verifies", "*"])).code).toBe(2);
    expect((await policy([])).code).toBe(2);
  });

  it("--help says plainly that a key that verifies also mints", async () => {
    const help = await policy(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("the key that\nverifies a token is the key that signs it");
    expect(help.stdout).toContain("ALSO MINT tokens as Y and Z");
    expect(help.stdout).toContain("--migrating");
  });
});
