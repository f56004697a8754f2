/**
 * Issue 18: `gofr-auth keys create|rotate|retire|list` for EdDSA issuers' keys, on the
 * embedded store and on Vault (the double with a Transit mount and the compose stack's
 * admin policy). Each command's output, its refusals (no key, a bad or out-of-range
 * --below, no --yes), and that no output ever holds a private key.
 */
import { createPublicKey } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { listVaultEdDsaIssuers } from "../../src/eddsa/vault-admin.js";
import { silentLogger } from "../../src/log.js";
import { fingerprintBytes } from "../../src/secrets/fingerprint.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { VaultTransit } from "../../src/vault/transit.js";
import { BACKENDS, closePlanes, type Plane, type Run, vaultPlane } from "./planes.js";
import { privateKeyForms } from "./private-keys.js";

afterEach(closePlanes);

/** Every run's stdout and stderr, to search for private keys at the end. */
function recorded(plane: Plane) {
  const outputs: string[] = [];
  const run = async (args: string[], env: Record<string, string> = {}): Promise<Run> => {
    const result = await plane.run(args, env);
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  return { run, outputs };
}

interface ListedIssuer {
  issuer: string;
  latest: number | null;
  minVersion: number | null;
  algorithms: string[] | null;
  versions: Array<{ version: number; status: string; fingerprint: string; createdAt: string }>;
}

describe.each(BACKENDS)("gofr-auth keys: $name", ({ name, make }) => {
  it("create, rotate, retire and list an issuer's key; no output holds a private key", async () => {
    const plane = make();
    const { run, outputs } = recorded(plane);
    expect((await run(["init"])).code).toBe(0);

    const created = await run(["keys", "create", "--issuer", "deposito"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Created EdDSA key jwt-deposito v1 sha256:[0-9a-f]{12} in /);
    expect(created.stdout).toContain("It is not used until GOFR_ISSUER_ALGORITHMS lists EdDSA");

    plane.clock.advance(60_000);
    const rotated = await run(["--json", "keys", "rotate", "--issuer", "deposito"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const rotation = JSON.parse(rotated.stdout);
    expect(rotation).toMatchObject({ previousVersion: 1, version: 2, status: "signs" });
    plane.clock.advance(60_000);
    expect((await run(["keys", "rotate", "--issuer", "deposito"])).stdout).toContain(
      "Rotated jwt-deposito: v2 -> v3",
    );

    const listed = await run(["--json", "keys", "list"]);
    expect(listed.code, listed.stderr).toBe(0);
    const [before] = JSON.parse(listed.stdout).issuers as ListedIssuer[];
    expect(before).toMatchObject({ issuer: "deposito", latest: 3, minVersion: 1 });
    expect(before?.versions.map((v) => [v.version, v.status])).toEqual([
      [1, "verifies"],
      [2, "verifies"],
      [3, "signs"],
    ]);
    expect(before?.versions[1]?.fingerprint).toBe(rotation.fingerprint);
    expect(new Set(before?.versions.map((v) => v.fingerprint)).size).toBe(3);

    const retired = await run(["keys", "retire", "--issuer", "deposito", "--below", "3", "--yes"]);
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout).toContain(
      "Retired jwt-deposito v1-v2: deposito's tokens verify with v3 only.",
    );
    // When: the embedded store's next request, or Vault's marker poll (no rotation grace).
    const when =
      name === "Vault"
        ? "within 2 s plus one store read (GOFR_PROPAGATION_SECONDS=2, as set here;"
        : "from its next request (embedded store).";
    expect(retired.stdout).toContain(
      `Tokens signed with v1-v2 (kid deposito.v1, deposito.v2): refused by every service on this store ${when}`,
    );
    expect(rotation.newVersionSigns.text).toBe(
      `Every minting service signs with v2 ${when}${name === "Vault" ? " each service follows its own settings)." : ""}`,
    );

    const table = await run(["keys", "list", "--issuer", "deposito"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ISSUER\s+VERSION\s+STATUS\s+FINGERPRINT\s+CREATED\s+AGE$/m);
    expect(table.stdout).toMatch(/^deposito\s+v3\s+signs\s+sha256:[0-9a-f]{12}\s/m);
    expect(table.stdout).toContain("deposito: signs with v3, versions below v3 retired;");
    const after = (
      JSON.parse((await run(["--json", "keys", "list"])).stdout).issuers as ListedIssuer[]
    )[0];
    expect(after?.minVersion).toBe(3);
    if (name === "Vault") {
      // Vault stops listing the versions below min_decryption_version (vault-api.md row 49).
      expect(after?.versions.map((v) => v.version)).toEqual([3]);
    } else {
      expect(after?.versions.map((v) => [v.version, v.status])).toEqual([
        [1, "retired"],
        [2, "retired"],
        [3, "signs"],
      ]);
    }

    // The private keys read behind the CLI's back are those of the versions it listed.
    const publicOfPrivate = plane.eddsaPrivateKeys("deposito").map((key) => {
      const x = createPublicKey(key).export({ format: "jwk" }).x as string;
      return fingerprintBytes(Buffer.from(x, "base64url"));
    });
    expect(publicOfPrivate).toEqual(before?.versions.map((v) => v.fingerprint));
    const secrets = privateKeyForms(plane, "deposito");
    const all = outputs.join("\n");
    expect(all).not.toContain("PRIVATE KEY");
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});

describe.each(BACKENDS)("gofr-auth keys refusals: $name", ({ make }) => {
  it("an issuer without a key: rotate, retire and list --issuer refuse and say how to create one", async () => {
    const plane = make();
    expect((await plane.run(["init"])).code).toBe(0);
    expect((await plane.run(["keys", "create", "--issuer", "deposito"])).code).toBe(0);
    for (const args of [
      ["keys", "rotate", "--issuer", "typo"],
      ["keys", "retire", "--issuer", "typo", "--below", "1", "--yes"],
      ["keys", "list", "--issuer", "typo"],
    ]) {
      const refused = await plane.run(args);
      expect(refused.code, args.join(" ")).toBe(1);
      expect(refused.stderr).toMatch(
        /error: Issuer 'typo' has no EdDSA key in .*\[secret_unavailable\]/,
      );
      expect(refused.stderr).toContain(
        "hint: create one: gofr-auth keys create --issuer typo; issuers with one: deposito",
      );
    }
    const invalid = await plane.run(["keys", "create", "--issuer", "Not An Issuer"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("is not an issuer name [invalid_input]");
  });

  it("create refuses an issuer that has a key, and leaves it as it was", async () => {
    const plane = make();
    expect((await plane.run(["init"])).code).toBe(0);
    const first = await plane.run(["--json", "keys", "create", "--issuer", "deposito"]);
    const again = await plane.run(["keys", "create", "--issuer", "deposito"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      "error: Issuer 'deposito' already has an EdDSA key [invalid_input]",
    );
    expect(again.stderr).toContain("hint: add a version: gofr-auth keys rotate --issuer deposito");
    const listed = JSON.parse((await plane.run(["--json", "keys", "list"])).stdout);
    expect(listed.issuers[0].versions).toEqual([
      expect.objectContaining({ version: 1, fingerprint: JSON.parse(first.stdout).fingerprint }),
    ]);
  });

  it("retire: --yes is required, --below must be a version from the floor to the latest", async () => {
    const plane = make();
    expect((await plane.run(["init"])).code).toBe(0);
    expect((await plane.run(["keys", "create", "--issuer", "deposito"])).code).toBe(0);
    expect((await plane.run(["keys", "rotate", "--issuer", "deposito"])).code).toBe(0);
    const floor = async () =>
      JSON.parse((await plane.run(["--json", "keys", "list"])).stdout).issuers[0].minVersion;

    const unconfirmed = await plane.run(["keys", "retire", "--issuer", "deposito", "--below", "2"]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain(
      "error: retiring the versions below v2 of deposito's key makes every token signed with them stop verifying; run again with --yes to confirm",
    );
    for (const below of ["0", "-1", "two", "1.5", ""]) {
      const malformed = await plane.run([
        "keys",
        "retire",
        "-i",
        "deposito",
        "--below",
        below,
        "-y",
      ]);
      expect(malformed.code, below).toBe(2);
      expect(malformed.stderr).toContain(
        "error: --below must be a key version, a whole number >= 1",
      );
    }
    const tooHigh = await plane.run(["keys", "retire", "-i", "deposito", "--below", "3", "-y"]);
    expect(tooHigh.code).toBe(1);
    expect(tooHigh.stderr).toContain(
      "error: --below 3 would retire v2, the version deposito signs with: give 1..2 (deposito's key has v1-v2) [invalid_input]",
    );
    expect(tooHigh.stderr).toContain(
      "hint: to retire v2 too, first add a version: gofr-auth keys rotate --issuer deposito",
    );
    expect(await floor()).toBe(1); // nothing changed

    expect((await plane.run(["keys", "retire", "-i", "deposito", "--below", "2", "-y"])).code).toBe(
      0,
    );
    const under = await plane.run(["keys", "retire", "-i", "deposito", "--below", "1", "-y"]);
    expect(under.code).toBe(1);
    expect(under.stderr).toContain(
      "error: --below 1 is under deposito's floor: the versions below v2 are already retired, and retire never brings them back [invalid_input]",
    );
    const same = await plane.run([
      "--json",
      "keys",
      "retire",
      "-i",
      "deposito",
      "--below",
      "2",
      "-y",
    ]);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ changed: false, minVersion: 2 });
    expect(await floor()).toBe(2);
  });

  it("list without --issuer: every key, plus configured EdDSA issuers that have none", async () => {
    const plane = make();
    expect((await plane.run(["init"])).code).toBe(0);
    const empty = await plane.run(["keys", "list"]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^No EdDSA keys in /);
    expect((await plane.run(["keys", "create", "--issuer", "deposito"])).code).toBe(0);
    const env = { GOFR_ISSUER_ALGORITHMS: "deposito=EdDSA,HS256;agent-x=HS256,EdDSA" };
    const listed = await plane.run(["keys", "list"], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^agent-x\s+-\s+no key\s+-/m);
    expect(listed.stdout).toContain(
      "agent-x: no key, but GOFR_ISSUER_ALGORITHMS here: HS256,EdDSA: its EdDSA tokens cannot verify (gofr-auth keys create --issuer agent-x)",
    );
    expect(listed.stdout).toContain(
      "deposito: signs with v1, no version retired; GOFR_ISSUER_ALGORITHMS here: EdDSA,HS256 (mints EdDSA)",
    );
  });
});

describe("gofr-auth keys on Vault", () => {
  it("create without a Transit engine at the mount says how to enable one", async () => {
    const plane = vaultPlane();
    expect((await plane.run(["init"])).code).toBe(0);
    // The double's root token: a policy refusal (403) would come before Vault's 404.
    const env = { GOFR_TRANSIT_MOUNT: "eddsa-keys", GOFR_VAULT_TOKEN: "root" };
    const refused = await plane.run(["keys", "create", "--issuer", "deposito"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "error: No Transit engine at 'eddsa-keys/' in Vault [vault_not_found]",
    );
    expect(refused.stderr).toContain(
      "hint: enable it: vault secrets enable -path=eddsa-keys transit",
    );
  });

  it("issuers are the mount's jwt-<issuer> keys; other keys on the mount are not listed", async () => {
    const vault = new VaultDouble();
    await vault.start();
    const client = new VaultClient({
      address: vault.url,
      auth: { method: "token", token: "root" },
      logger: silentLogger,
    });
    try {
      vault.mountTransit();
      const transit = new VaultTransit(client);
      expect(await listVaultEdDsaIssuers({ transit })).toEqual([]); // Vault's 404: none
      for (const name of ["jwt-deposito", "jwt-agent-x", "payments-hmac", "jwt-Upper"]) {
        await transit.createKey(name);
      }
      expect(await transit.listKeys()).toHaveLength(4);
      expect(await listVaultEdDsaIssuers({ transit })).toEqual(["agent-x", "deposito"]);
    } finally {
      await client.close();
      await vault.close();
    }
  });
});

describe("gofr-auth keys --help", () => {
  it("teaches what EdDSA issuers are, the variable that turns them on and the policy lines", async () => {
    const plane = BACKENDS[0].make();
    const help = await plane.run(["keys", "--help"]);
    expect(help.code).toBe(0);
    for (const command of ["create", "rotate", "retire", "list"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
    expect(help.stdout).toContain("<PREFIX>_ISSUER_ALGORITHMS=deposito=HS256,EdDSA");
    expect(help.stdout).toContain('path "transit/sign/jwt-<issuer>"  update');
    expect(help.stdout).toContain('path "transit/keys/jwt-*"         read ');
    expect((await plane.run(["secrets", "--help"])).stdout).toContain("gofr-auth keys");
    const inspect = await plane.run(["tokens", "inspect", "--help"]);
    expect(inspect.stdout).toContain("lists EdDSA for the issuer");
    const retire = await plane.run(["keys", "retire", "--help"]);
    expect(retire.stdout).toContain("-y, --yes");
    expect(retire.stdout).toContain("The latest version signs");
  });
});
