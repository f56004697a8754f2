import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { doctor, type Finding } from "../../src/config/doctor.js";
import { resolveAuthConfig } from "../../src/config/resolve.js";
import { silentLogger } from "../../src/log.js";

const dir = mkdtempSync(join(tmpdir(), "gofr-doctor-"));
let storeCount = 0;
function freshStore(): string {
  storeCount += 1;
  return join(dir, `auth-${storeCount}.db`);
}

async function findings(
  env: Record<string, string>,
  options: { connect?: boolean; inContainer?: boolean } = {},
) {
  return doctor({
    envPrefix: "GOFR_DIG",
    env: { GOFR_DIG_AUTH_STORE: freshStore(), ...env },
    connect: options.connect ?? false,
    inContainer: options.inContainer ?? false,
  });
}

function codes(list: Finding[]) {
  return list.map((finding) => `${finding.level}:${finding.code}`);
}

function find(list: Finding[], code: string): Finding {
  const found = list.find((finding) => finding.code === code);
  if (!found) throw new Error(`no finding ${code} in ${codes(list).join(", ")}`);
  return found;
}

describe("doctor", () => {
  it("a clean single-machine setup reports only ok findings", async () => {
    const list = await findings({});
    expect(codes(list)).toEqual(["ok:path_prefix_ok", "ok:audience_ok", "ok:single_machine_mode"]);
  });

  it("path_prefix_derived: the prefix derived from the service prefix is an error", async () => {
    const finding = find(
      await findings({ GOFR_DIG_VAULT_PATH_PREFIX: "gofr/dig/auth" }),
      "path_prefix_derived",
    );
    expect(finding.level).toBe("error");
    expect(finding.fix).toContain("gofr/auth");
  });

  it("path_prefix_noncanonical: another prefix is a warning", async () => {
    const list = await findings({ GOFR_DIG_VAULT_PATH_PREFIX: "team/auth" });
    expect(find(list, "path_prefix_noncanonical").level).toBe("warn");
  });

  it("audience_derived and audience_noncanonical", async () => {
    expect(
      find(await findings({ GOFR_DIG_AUDIENCE: "gofr_dig-api" }), "audience_derived").level,
    ).toBe("error");
    expect(
      find(await findings({ GOFR_DIG_AUDIENCE: "billing" }), "audience_noncanonical").level,
    ).toBe("warn");
  });

  it("legacy_secret_env names the variables, never their values", async () => {
    const finding = find(
      await findings({
        GOFR_JWT_SECRET: "s3cr3t-value",
        JWT_SECRET_KEY: "other-value",
        GOFR_DIG_JWT_SECRET: "x",
      }),
      "legacy_secret_env",
    );
    expect(finding.message).toContain("GOFR_DIG_JWT_SECRET, GOFR_JWT_SECRET, JWT_SECRET_KEY");
    expect(finding.message).not.toContain("s3cr3t-value");
  });

  it("secret_source_env: the legacy env source is reported", async () => {
    expect(find(await findings({ GOFR_DIG_SECRET_SOURCE: "env" }), "secret_source_env").level).toBe(
      "warn",
    );
  });

  it("no_auth is a warning", async () => {
    expect(find(await findings({ GOFR_DIG_NO_AUTH: "1" }), "no_auth").level).toBe("warn");
  });

  it("config_invalid: each bad variable is a finding", async () => {
    const list = await findings({ GOFR_DIG_VAULT_URL: "vault:8200", GOFR_DIG_JWT_SECRET_TTL: "x" });
    const invalid = list.filter((finding) => finding.code === "config_invalid");
    expect(invalid.map((finding) => finding.message.split(":")[0])).toEqual([
      "GOFR_DIG_VAULT_URL",
      "GOFR_DIG_JWT_SECRET_TTL",
    ]);
  });

  it("vault_auth_ambiguous: token and AppRole together", async () => {
    const list = await findings({
      GOFR_DIG_VAULT_URL: "http://vault:8200",
      GOFR_DIG_VAULT_TOKEN: "t",
      GOFR_DIG_VAULT_ROLE_ID: "r",
      GOFR_DIG_VAULT_SECRET_ID: "s",
    });
    expect(find(list, "vault_auth_ambiguous").level).toBe("error");
    expect(list.filter((finding) => finding.code === "config_invalid")).toEqual([]);
  });

  it("vault_url_localhost: only inside a container", async () => {
    const env = { GOFR_DIG_VAULT_URL: "http://127.0.0.1:8200", GOFR_DIG_VAULT_TOKEN: "t" };
    expect(find(await findings(env, { inContainer: true }), "vault_url_localhost").level).toBe(
      "error",
    );
    expect(codes(await findings(env, { inContainer: false }))).not.toContain(
      "error:vault_url_localhost",
    );
  });

  it("creds file: unreadable, too open, invalid, ok", async () => {
    const base = { GOFR_DIG_VAULT_URL: "http://vault:8200" };
    const missing = await findings({ ...base, GOFR_DIG_VAULT_CREDS_FILE: join(dir, "nope.json") });
    expect(find(missing, "creds_file_unreadable").level).toBe("error");

    const open = join(dir, "open.json");
    writeFileSync(open, JSON.stringify({ role_id: "r", secret_id: "s" }));
    chmodSync(open, 0o644);
    expect(
      find(await findings({ ...base, GOFR_DIG_VAULT_CREDS_FILE: open }), "creds_file_permissions")
        .message,
    ).toContain("0644");

    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{not json", { mode: 0o600 });
    expect(
      find(await findings({ ...base, GOFR_DIG_VAULT_CREDS_FILE: bad }), "creds_file_invalid").level,
    ).toBe("error");

    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify({ role_id: "r", secret_id: "s" }), { mode: 0o600 });
    const list = await findings({ ...base, GOFR_DIG_VAULT_CREDS_FILE: good });
    expect(find(list, "creds_file_ok").level).toBe("ok");
    expect(codes(list).filter((code) => code.startsWith("error"))).toEqual([]);
  });

  it("store_unreachable: the embedded store has not been initialised", async () => {
    const list = await findings({}, { connect: true });
    expect(find(list, "store_unreachable").fix + find(list, "store_unreachable").message).toMatch(
      /init/,
    );
  });

  it("secret_ok with the fingerprint, and reserved groups missing then ok", async () => {
    const store = freshStore();
    const env = { GOFR_DIG_AUTH_STORE: store };
    const plane = await resolveAuthConfig({
      envPrefix: "GOFR_DIG",
      env,
      logger: silentLogger,
      checkSecret: false,
    });
    if (!plane.authEnabled) throw new Error("expected auth");
    await plane.secretSource.write(
      "gofr/config/jwt-signing-secret",
      `${"x".repeat(16)}-a-long-enough-secret`,
    );
    const before = await doctor({ envPrefix: "GOFR_DIG", env, inContainer: false });
    expect(find(before, "secret_ok").message).toMatch(/v1 is readable: sha256:[0-9a-f]{12}/);
    expect(find(before, "reserved_groups_missing").message).toContain("public, admin");
    await plane.auth.groups.ensureReservedGroups();
    await plane.close();
    const after = await doctor({ envPrefix: "GOFR_DIG", env, inContainer: false });
    expect(find(after, "reserved_groups_ok").level).toBe("ok");
  });

  it("secret_unreachable and secret_too_weak", async () => {
    const store = freshStore();
    const env = { GOFR_DIG_AUTH_STORE: store };
    const plane = await resolveAuthConfig({
      envPrefix: "GOFR_DIG",
      env,
      logger: silentLogger,
      checkSecret: false,
    });
    if (!plane.authEnabled) throw new Error("expected auth");
    const missing = await doctor({ envPrefix: "GOFR_DIG", env, inContainer: false });
    expect(find(missing, "secret_unreachable").level).toBe("error");
    await plane.close();
    // The stores refuse weak secrets on write; a legacy env variable can still hold one.
    const weakEnv = { ...env, GOFR_DIG_SECRET_SOURCE: "env", JWT_SECRET_KEY: "short" };
    const weak = await doctor({ envPrefix: "GOFR_DIG", env: weakEnv, inContainer: false });
    expect(find(weak, "secret_too_weak").message).not.toContain("short");
  });
});
