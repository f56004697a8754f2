/**
 * Issue 18, doctor's side: EdDSA issuers' private keys stay in Vault Transit, so the power to
 * mint is `update` on `<transit>/sign/<key>` (docs/vault-contract.md row 44). Doctor asks
 * Vault (`POST sys/capabilities-self`, the double serves it as Vault does) whether the
 * service's own identity may sign with a key of an EdDSA issuer it does not mint for, and
 * warns, naming the policy line to remove. It also warns when a minter may not sign and when
 * a verifier may not read the public keys.
 */
import { afterEach, describe, expect, it } from "vitest";
import { servicePolicy } from "../../src/cli/commands/policy.js";
import { doctor, type Finding, type FindingLevel } from "../../src/config/doctor.js";
import {
  checkTransitScope,
  PROBE_ISSUER,
  type TransitScope,
  transitScopeOf,
} from "../../src/config/doctor-policy.js";
import { readAuthEnv } from "../../src/config/env.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { parseHclPolicy } from "../../src/testing/vault-double/acl.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { policyRules } from "../support/policy-rules.js";

const PREFIX = "GOFR_WEB";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function double(): Promise<VaultDouble> {
  const vault = new VaultDouble();
  await vault.start();
  cleanups.push(() => vault.close());
  return vault;
}

let policies = 0;
/** A token of `vault` whose policy is `hcl` (plus Vault's default policy). */
function tokenWith(vault: VaultDouble, hcl: string): string {
  policies += 1;
  const name = `transit-${policies}`;
  const rules = parseHclPolicy(hcl);
  vault.setPolicy(name, Object.fromEntries(rules.map((rule) => [rule.path, rule.capabilities])));
  return vault.createToken({ policies: [name] });
}

/** The policy `gofr-auth policy --issuer <issuer> --migrating [--mints-eddsa]` prints. */
const printed = (issuer: string, mintsEdDsa = false) =>
  servicePolicy({ issuer, migrating: true, verifies: [], mintsEdDsa });

function settingsOf(vault: VaultDouble, token: string, env: Record<string, string>) {
  return readAuthEnv(PREFIX, {
    [`${PREFIX}_VAULT_URL`]: vault.url,
    [`${PREFIX}_VAULT_TOKEN`]: token,
    [`${PREFIX}_ISSUER`]: "gofr-web",
    [`${PREFIX}_ISSUER_ALGORITHMS`]: "deposito=EdDSA",
    ...env,
  });
}

/** Only the Transit check, as doctor runs it for the service's env. */
async function transitScope(
  vault: VaultDouble,
  hcl: string,
  env: Record<string, string> = {},
  otherIssuers: readonly string[] = [],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const settings = settingsOf(vault, tokenWith(vault, hcl), env);
  const add = (level: FindingLevel, code: string, message: string, fix?: string) =>
    findings.push({ level, code, message, fix: fix ?? "" });
  await checkTransitScope(settings, add, transitScopeOf(settings), otherIssuers);
  return findings;
}

const codes = (list: Finding[]) => list.map((f) => `${f.level}:${f.code}`);

describe("doctor: may this identity mint EdDSA tokens it should not?", () => {
  it("a verifier with the policy `gofr-auth policy` prints: it reads deposito's key and signs with none", async () => {
    const vault = await double();
    const list = await transitScope(vault, printed("gofr-web"));
    expect(codes(list)).toEqual(["ok:transit_scope_ok"]);
    expect(list[0]?.message).toContain("Transit keys of the EdDSA issuers deposito");
  });

  it("warns when a verifying service may sign with deposito's key, naming the policy line to remove", async () => {
    const vault = await double();
    const hcl = `${printed("gofr-web")}
path "transit/sign/jwt-deposito" { capabilities = ["update"] }`;
    const list = await transitScope(vault, hcl);
    expect(codes(list)).toEqual(["warn:transit_sign_extra"]);
    expect(list[0]?.message).toContain(
      "may sign with the Transit keys of deposito (update on transit/sign/jwt-deposito) but this process does not mint for them",
    );
    expect(list[0]?.fix).toContain(
      'the rule that grants update on transit/sign/jwt-deposito (path "transit/sign/jwt-deposito"',
    );
    expect(list[0]?.fix).toContain("`gofr-auth policy --issuer gofr-web` prints what it needs");
  });

  it("finds signing by the URL form sign/<key>/<hash> too (the same operation for ed25519)", async () => {
    const vault = await double();
    const hcl = `${printed("gofr-web")}
path "transit/sign/jwt-deposito/*" { capabilities = ["update"] }`;
    const list = await transitScope(vault, hcl);
    expect(codes(list)).toEqual(["warn:transit_sign_extra"]);
    expect(list[0]?.fix).toContain("grants update on transit/sign/jwt-deposito/sha2-256");
  });

  it("warns that a glob over the sign paths lets it mint as every EdDSA issuer", async () => {
    const vault = await double();
    const hcl = `${printed("gofr-web")}
path "transit/sign/*" { capabilities = ["update"] }`;
    const list = await transitScope(vault, hcl);
    expect(codes(list)).toEqual(["warn:transit_sign_wide"]);
    expect(list[0]?.message).toContain(`transit/sign/jwt-${PROBE_ISSUER}, a key no issuer has`);
    expect(list[0]?.fix).toContain('path "transit/sign/*"');
  });

  it("read without update does not count as signing", async () => {
    const vault = await double();
    const hcl = `${printed("gofr-web")}
path "transit/sign/*" { capabilities = ["read", "list"] }`;
    expect(codes(await transitScope(vault, hcl))).toEqual(["ok:transit_scope_ok"]);
  });

  it("a minter (its own issuer's list starts with EdDSA) may sign with its own key only", async () => {
    const vault = await double();
    const env = {
      [`${PREFIX}_ISSUER`]: "deposito",
      [`${PREFIX}_ISSUER_ALGORITHMS`]: "deposito=EdDSA,HS256;billing=EdDSA",
    };
    const own = await transitScope(vault, printed("deposito", true), env);
    expect(codes(own)).toEqual(["ok:transit_scope_ok"]);
    expect(own[0]?.message).toContain("and sign with transit/sign/jwt-deposito");

    const more = `${printed("deposito", true)}
path "transit/sign/jwt-billing" { capabilities = ["update"] }`;
    const extra = await transitScope(vault, more, env);
    expect(codes(extra)).toEqual(["warn:transit_sign_extra"]);
    expect(extra[0]?.message).toContain("Transit keys of billing");
    expect(extra[0]?.fix).toContain("--issuer deposito --mints-eddsa");
  });

  it("an issuer that still mints HS256 (EdDSA second) must not be able to sign with its key", async () => {
    const vault = await double();
    const env = {
      [`${PREFIX}_ISSUER`]: "deposito",
      [`${PREFIX}_ISSUER_ALGORITHMS`]: "deposito=HS256,EdDSA",
    };
    const list = await transitScope(vault, printed("deposito", true), env);
    expect(codes(list)).toEqual(["warn:transit_sign_extra"]);
  });

  it("warns when a minter may not sign (minting would get 403)", async () => {
    const vault = await double();
    const env = {
      [`${PREFIX}_ISSUER`]: "deposito",
      [`${PREFIX}_ISSUER_ALGORITHMS`]: "deposito=EdDSA",
    };
    const list = await transitScope(vault, printed("deposito"), env);
    expect(codes(list)).toEqual(["warn:transit_sign_missing"]);
    expect(list[0]?.fix).toContain("gofr-auth policy --issuer deposito --mints-eddsa");
  });

  it("warns when the identity may not read an EdDSA issuer's public keys", async () => {
    const vault = await double();
    const hcl = printed("gofr-web").replace('path "transit/keys/jwt-*"', 'path "transit/keys/x"');
    const list = await transitScope(vault, hcl);
    expect(codes(list)).toEqual(["warn:transit_keys_unreadable"]);
    expect(list[0]?.message).toContain("transit/keys/jwt-deposito");
  });

  it("asks about the fleet's other issuers named with --issuers, and on the configured mount", async () => {
    const vault = await double();
    const hcl = `${printed("gofr-web").replaceAll('"transit/', '"tr/')}
path "tr/sign/jwt-agent-x" { capabilities = ["update"] }`;
    const env = { [`${PREFIX}_TRANSIT_MOUNT`]: "tr" };
    expect(codes(await transitScope(vault, hcl, env))).toEqual(["ok:transit_scope_ok"]);
    const named = await transitScope(vault, hcl, env, ["agent-x"]);
    expect(codes(named)).toEqual(["warn:transit_sign_extra"]);
    expect(named[0]?.fix).toContain('path "tr/sign/jwt-agent-x"');
  });

  it("the operator identity (gofr-admin, issuer gofr-auth) signs by design: ok, not a warning", async () => {
    const vault = await double();
    vault.setPolicy("gofr-admin", policyRules("docker/policies/gofr-admin.hcl"));
    const findings: Finding[] = [];
    const settings = settingsOf(vault, vault.createToken({ policies: ["gofr-admin"] }), {
      [`${PREFIX}_ISSUER`]: "gofr-auth",
    });
    await checkTransitScope(settings, (level, code, message, fix) =>
      findings.push({ level, code, message, fix: fix ?? "" }),
    );
    expect(codes(findings)).toEqual(["ok:transit_scope_operator"]);
  });

  it("asks nothing when no issuer is EdDSA, and asks Vault rather than signing to find out", async () => {
    const vault = await double();
    const none = await transitScope(vault, printed("gofr-web"), {
      [`${PREFIX}_ISSUER_ALGORITHMS`]: "gofr-web=HS256",
    });
    expect(none).toEqual([]);
    expect(vault.countRequests({ path: "/v1/sys/capabilities-self" })).toBe(0);
    await transitScope(
      vault,
      `${printed("gofr-web")}
path "transit/sign/*" { capabilities = ["update"] }`,
    );
    expect(vault.countRequests({ path: "/v1/sys/capabilities-self" })).toBe(1);
    expect(vault.countRequests({ path: "/v1/transit/" })).toBe(0);
  });

  it("`doctor` runs the check for the service's env (with --issuers)", async () => {
    const vault = await double();
    vault.putSecret(SHARED_SECRET_NAME, { value: "doctor-transit-test-secret-0123456789-abcdef" });
    const token = tokenWith(
      vault,
      `${printed("gofr-web")}
path "transit/sign/jwt-agent-x" { capabilities = ["update"] }`,
    );
    const findings = await doctor({
      envPrefix: PREFIX,
      env: {
        [`${PREFIX}_VAULT_URL`]: vault.url,
        [`${PREFIX}_VAULT_TOKEN`]: token,
        [`${PREFIX}_ISSUER`]: "gofr-web",
        [`${PREFIX}_ISSUER_ALGORITHMS`]: "deposito=EdDSA",
      },
      otherIssuers: ["agent-x"],
      inContainer: false,
    });
    const transit = findings.filter((finding) => finding.code.startsWith("transit_"));
    expect(codes(transit)).toEqual(["warn:transit_sign_extra"]);
    expect(transit[0]?.message).toContain("Transit keys of agent-x");
  });

  it("the scope comes from <P>_ISSUER_ALGORITHMS and <P>_TRANSIT_MOUNT", () => {
    const scope = (env: Record<string, string>): TransitScope =>
      transitScopeOf(
        readAuthEnv(PREFIX, { [`${PREFIX}_VAULT_URL`]: "http://127.0.0.1:8200", ...env }),
      );
    expect(scope({ [`${PREFIX}_ISSUER`]: "gofr-web" })).toEqual({
      mount: "transit",
      issuers: [],
      mints: [],
    });
    expect(
      scope({
        [`${PREFIX}_ISSUER`]: "deposito",
        [`${PREFIX}_ISSUER_ALGORITHMS`]: "deposito=EdDSA;billing=HS256,EdDSA;gofr-web=HS256",
        [`${PREFIX}_TRANSIT_MOUNT`]: "keys/transit",
      }),
    ).toEqual({ mount: "keys/transit", issuers: ["deposito", "billing"], mints: ["deposito"] });
  });
});
