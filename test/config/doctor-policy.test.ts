/**
 * Issue 15 items 1 and 12, doctor's side: it asks Vault which signing secrets the service's
 * own identity may read (`POST sys/capabilities-self`) and warns about keys the service does
 * not need; and it flags a plain-HTTP Vault URL that is not loopback.
 *
 * Doctor runs against the Vault double, which serves `sys/capabilities-self` as Vault does
 * (pinned in test/vault/double-capabilities.test.ts). The "unchecked" cases, where the server
 * will not answer it, use a tiny stub server on 127.0.0.1 instead.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { servicePolicy } from "../../src/cli/commands/policy.js";
import { runCli } from "../../src/cli/program.js";
import { doctor, type Finding, type FindingLevel } from "../../src/config/doctor.js";
import { checkKeyScope, PROBE_ISSUER } from "../../src/config/doctor-policy.js";
import { readAuthEnv } from "../../src/config/env.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { parseHclPolicy } from "../../src/testing/vault-double/acl.js";
import { VaultDouble } from "../../src/testing/vault-double.js";

const PREFIX = "GOFR_DIG";
/** The policy every service had before per-issuer policies (docker/policies/gofr-service.hcl). */
const OLD_SERVICE_POLICY = `
path "secret/data/gofr/config/*" { capabilities = ["read"] }
path "secret/data/gofr/auth/*" { capabilities = ["read"] }
path "secret/metadata/gofr/auth/*" { capabilities = ["list", "read"] }
`;

interface Stand {
  double: VaultDouble;
  url: string;
  /** A token whose policies are `hcl` (and `default`, as Vault gives every token). */
  tokenWith(hcl: string): string;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function stand(): Promise<Stand> {
  const double = new VaultDouble();
  await double.start();
  cleanups.push(() => double.close());
  double.putSecret(SHARED_SECRET_NAME, { value: "doctor-policy-test-secret-0123456789-abcdef" });
  let count = 0;
  const tokenWith = (hcl: string) => {
    count += 1;
    const name = `policy-${count}`;
    const rules = parseHclPolicy(hcl);
    double.setPolicy(name, Object.fromEntries(rules.map((rule) => [rule.path, rule.capabilities])));
    return double.createToken({ policies: [name] });
  };
  return { double, url: double.url, tokenWith };
}

/**
 * A server on 127.0.0.1 that answers every request with `status` and `body` (not a Vault,
 * or a Vault that refuses this token), recording what it was asked.
 */
async function stub(status: number, body: string): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(status, {
      "content-type": body.startsWith("{") ? "application/json" : "text/plain",
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, asked };
}

/** Only the key-scope check, against `url` with `token`, as the service would run it. */
async function keyScopeOnly(url: string, token: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const settings = readAuthEnv(PREFIX, {
    [`${PREFIX}_VAULT_URL`]: url,
    [`${PREFIX}_VAULT_TOKEN`]: token,
    [`${PREFIX}_ISSUER`]: "gofr-dig",
  });
  await checkKeyScope(settings, (level: FindingLevel, code, message, fix) =>
    findings.push({ level, code, message, fix: fix ?? "" }),
  );
  return findings;
}

async function keyScope(
  url: string,
  token: string,
  extra: Record<string, string> = {},
): Promise<Finding[]> {
  const findings = await doctor({
    envPrefix: PREFIX,
    env: {
      [`${PREFIX}_VAULT_URL`]: url,
      [`${PREFIX}_VAULT_TOKEN`]: token,
      [`${PREFIX}_ISSUER`]: "gofr-dig",
      ...extra,
    },
    inContainer: false,
  });
  return findings.filter((finding) => finding.code.startsWith("key_scope"));
}

const codes = (list: Finding[]) => list.map((f) => `${f.level}:${f.code}`);
const digPolicy = (options: { migrating?: boolean; verifies?: string[] } = {}) =>
  servicePolicy({
    issuer: "gofr-dig",
    migrating: options.migrating ?? true,
    verifies: options.verifies ?? [],
  });

describe("doctor: which signing secrets the service's identity may read", () => {
  it("warns when the role may read every issuer's secret (the old shared service policy)", async () => {
    const vault = await stand();
    const list = await keyScope(vault.url, vault.tokenWith(OLD_SERVICE_POLICY));
    expect(codes(list)).toEqual(["warn:key_scope_wide"]);
    const [finding] = list;
    expect(finding?.message).toContain(
      `secret/data/gofr/config/jwt-signing-secrets/${PROBE_ISSUER}`,
    );
    expect(finding?.message).toMatch(/mint tokens, admin ones included, in every issuer's name/);
    expect(finding?.fix).toContain("gofr-auth policy --issuer gofr-dig");
  });

  it("asks Vault, and never reads another issuer's secret to find out", async () => {
    const vault = await stand();
    vault.double.clearRequests();
    await keyScope(vault.url, vault.tokenWith(OLD_SERVICE_POLICY));
    const issuerReads = vault.double.requests.filter((r) =>
      r.path.startsWith("/v1/secret/data/gofr/config/jwt-signing-secrets/"),
    );
    expect(issuerReads).toEqual([]);
    expect(vault.double.countRequests({ path: "/v1/sys/capabilities-self" })).toBe(1);
    // The log does see doctor's reads: the shared secret's (secret_ok) is there.
    expect(vault.double.countRequests({ path: `/v1/secret/data/${SHARED_SECRET_NAME}` })).toBe(1);
  });

  it("is satisfied by the policy `gofr-auth policy --issuer` prints", async () => {
    const vault = await stand();
    const list = await keyScope(vault.url, vault.tokenWith(digPolicy()), {
      [`${PREFIX}_TRUSTED_ISSUERS`]: "gofr-dig",
    });
    expect(codes(list)).toEqual(["ok:key_scope_ok"]);
    expect(list[0]?.message).toContain(
      "its own issuer's signing secret, the shared one; no rule grants every issuer's",
    );
  });

  it("names the trusted issuers whose keys it may read (--verifies), and says unset trust costs Vault lookups", async () => {
    const vault = await stand();
    const token = vault.tokenWith(digPolicy({ verifies: ["gofr-auth"] }));
    const trusted = await keyScope(vault.url, token, {
      [`${PREFIX}_TRUSTED_ISSUERS`]: "gofr-auth,gofr-dig",
    });
    expect(codes(trusted)).toEqual(["ok:key_scope_ok"]);
    expect(trusted[0]?.message).toContain("and those of gofr-auth");
    const unset = await keyScope(vault.url, token);
    expect(codes(unset)).toEqual(["ok:key_scope_ok"]);
    expect(unset[0]?.message).toContain(`${PREFIX}_TRUSTED_ISSUERS is unset`);
  });

  it("warns about a trusted issuer whose own key it may not read", async () => {
    const vault = await stand();
    const list = await keyScope(vault.url, vault.tokenWith(digPolicy()), {
      [`${PREFIX}_TRUSTED_ISSUERS`]: "gofr-auth,gofr-dig,deposito",
    });
    expect(codes(list)).toEqual(["warn:key_scope_trusted_unreadable"]);
    expect(list[0]?.message).toContain("names gofr-auth, deposito");
    expect(list[0]?.fix).toContain("--verifies gofr-auth,deposito");
    expect(list[0]?.fix).toMatch(/also mint as them/);
  });

  it("warns about a named issuer's secret it may read but does not verify (--issuers)", async () => {
    const vault = await stand();
    // A rule naming gofr-mcp's key (no glob): only asking about gofr-mcp by name finds it.
    const token = vault.tokenWith(digPolicy({ verifies: ["gofr-mcp"] }));
    const trust = { [`${PREFIX}_TRUSTED_ISSUERS`]: "gofr-dig" };
    const unnamed = await keyScope(vault.url, token, trust);
    expect(codes(unnamed)).toEqual(["ok:key_scope_ok"]);
    const out: string[] = [];
    await runCli(["--env-prefix", PREFIX, "--json", "doctor", "--issuers", "gofr-mcp,deposito"], {
      env: {
        [`${PREFIX}_VAULT_URL`]: vault.url,
        [`${PREFIX}_VAULT_TOKEN`]: token,
        [`${PREFIX}_ISSUER`]: "gofr-dig",
        ...trust,
      },
      io: { stdout: (text) => out.push(text), stderr: () => {} },
    });
    const report = JSON.parse(out.join("")) as { findings: Finding[] };
    const scope = report.findings.filter((f) => f.code.startsWith("key_scope"));
    expect(codes(scope)).toEqual(["warn:key_scope_extra"]);
    expect(scope[0]?.message).toContain("signing secrets of gofr-mcp, whose tokens it does not");
    expect(scope[0]?.message).not.toContain("deposito");
  });

  it("warns when the role may not read its own issuer's secret", async () => {
    const vault = await stand();
    const list = await keyScope(
      vault.url,
      vault.tokenWith(servicePolicy({ issuer: "other", migrating: true, verifies: [] })),
    );
    expect(codes(list)).toEqual(["warn:key_scope_own_unreadable"]);
    expect(list[0]?.message).toContain("secret/data/gofr/config/jwt-signing-secrets/gofr-dig");
  });

  it("warns about an unreadable shared secret unless the service is strict", async () => {
    const vault = await stand();
    const token = vault.tokenWith(digPolicy({ migrating: false }));
    expect(codes(await keyScope(vault.url, token))).toEqual(["warn:key_scope_shared_unreadable"]);
    const strict = await keyScope(vault.url, token, { [`${PREFIX}_STRICT_ISSUER_KEYS`]: "1" });
    expect(codes(strict)).toEqual(["ok:key_scope_ok"]);
  });

  it("the admin policy is the operator identity's (ok as gofr-auth, wide for a service)", async () => {
    const vault = await stand();
    const admin = vault.tokenWith(readFileSync("docker/policies/gofr-admin.hcl", "utf8"));
    const asOperator = await keyScope(vault.url, admin, { [`${PREFIX}_ISSUER`]: "gofr-auth" });
    expect(codes(asOperator)).toEqual(["ok:key_scope_operator"]);
    expect(codes(await keyScope(vault.url, admin))).toEqual(["warn:key_scope_wide"]);
  });

  it("warns about a root token", async () => {
    const vault = await stand();
    const list = await keyScope(vault.url, vault.double.rootToken);
    expect(codes(list)).toEqual(["warn:key_scope_root"]);
  });

  it("warns 'unchecked' when the server does not serve sys/capabilities-self (404/405: not a Vault)", async () => {
    // Plain-text answers as a non-Vault server or a path-filtering proxy sends them.
    for (const [status, body] of [
      [404, "404 page not found\n"],
      [405, "Method Not Allowed\n"],
    ] as const) {
      const server = await stub(status, body);
      const list = await keyScopeOnly(server.url, "hvs.stub-token");
      expect(server.asked).toEqual(["POST /v1/sys/capabilities-self"]);
      expect(codes(list), String(status)).toEqual(["warn:key_scope_unchecked"]);
      expect(list[0]?.message).toMatch(
        new RegExp(
          `^Not checked .* ${PREFIX}_VAULT_URL does not serve sys/capabilities-self \\(${status}\\)$`,
        ),
      );
      expect(list[0]?.fix).toContain(`point ${PREFIX}_VAULT_URL at Vault itself`);
      expect(JSON.stringify(list)).not.toContain("hvs.stub-token");
    }
  });

  it("warns 'unchecked' when the token may not ask (403: the role lacks Vault's default policy)", async () => {
    // The double grants the endpoint to every token, as Vault's default policy does, so a
    // refusal needs a server that refuses: Vault's 403 answer body.
    const server = await stub(
      403,
      JSON.stringify({ errors: ["1 error occurred:\n\t* permission denied\n\n"] }),
    );
    const list = await keyScopeOnly(server.url, "hvs.stub-token");
    expect(server.asked).toEqual(["POST /v1/sys/capabilities-self"]);
    expect(codes(list)).toEqual(["warn:key_scope_unchecked"]);
    expect(list[0]?.message).toMatch(/^Could not ask Vault .*permission denied/i);
    expect(list[0]?.fix).toMatch(/default policy/);
    expect(JSON.stringify(list)).not.toContain("hvs.stub-token");
  });
});

describe("doctor: plain HTTP to Vault", () => {
  const offline = (url: string) =>
    doctor({
      envPrefix: PREFIX,
      env: { [`${PREFIX}_VAULT_URL`]: url, [`${PREFIX}_VAULT_TOKEN`]: "hvs.offline-test" },
      connect: false,
      inContainer: false,
    });

  it("warns about http:// to another machine, naming the variable and host", async () => {
    const finding = (await offline("http://vault.internal:8200")).find(
      (f) => f.code === "vault_plain_http",
    );
    expect(finding?.level).toBe("warn");
    expect(finding?.message).toContain(`${PREFIX}_VAULT_URL is plain HTTP to vault.internal:8200`);
    expect(finding?.fix).toContain("https://");
  });

  it("says nothing for https or loopback", async () => {
    for (const url of [
      "https://vault.internal:8200",
      "http://127.0.0.1:8200",
      "http://localhost:8200",
    ]) {
      const list = await offline(url);
      expect(
        list.map((f) => f.code),
        url,
      ).not.toContain("vault_plain_http");
    }
  });
});
