/**
 * Issue 4: `doctor` against Vault (the double by default, a real Vault when VAULT_ADDR and
 * VAULT_TOKEN are set). The service is GOFR_DIG, configured only through its environment
 * (`GOFR_DIG_VAULT_URL`, `GOFR_DIG_VAULT_TOKEN`, ...), exactly as it would be deployed.
 *
 * Checks that need the double (its clock, sealing, the fleet's fixed secret and auth paths,
 * policies set in code) are skipped on a real Vault with the reason printed.
 */
import { afterEach, expect, it } from "vitest";
import { doctor, type Finding } from "../../src/config/doctor.js";
import { fingerprint } from "../../src/secrets/fingerprint.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { operatorCli } from "../rotation/fleet.js";
import {
  describeContract,
  describeDoubleOnly,
  startTarget,
  type VaultTarget,
} from "../vault/target.js";

const PREFIX = "GOFR_DIG";
const GOOD_SECRET = "doctor-vault-test-secret-0123456789-abcdefghij";

const targets: VaultTarget[] = [];
afterEach(async () => {
  await Promise.all(targets.splice(0).map((target) => target.stop()));
});

async function target(clock?: ManualClock): Promise<VaultTarget & { double: VaultDouble }> {
  const started = await startTarget(clock ? { clock: clock.now } : {});
  targets.push(started);
  return started as VaultTarget & { double: VaultDouble };
}

function vaultEnv(vault: { url: string; rootToken: string }, extra: Record<string, string> = {}) {
  return {
    [`${PREFIX}_VAULT_URL`]: vault.url,
    [`${PREFIX}_VAULT_TOKEN`]: vault.rootToken,
    ...extra,
  };
}

function run(env: Record<string, string>, options: { clock?: ManualClock; maxSkew?: number } = {}) {
  return doctor({
    envPrefix: PREFIX,
    env,
    inContainer: false,
    clock: options.clock?.now,
    maxClockSkewSeconds: options.maxSkew,
  });
}

function codes(list: Finding[]): string[] {
  return list.map((finding) => `${finding.level}:${finding.code}`);
}

function find(list: Finding[], code: string): Finding {
  const found = list.find((finding) => finding.code === code);
  if (!found) throw new Error(`no finding ${code} in ${codes(list).join(", ")}`);
  return found;
}

function without(list: Finding[], code: string): void {
  expect(codes(list).filter((item) => item.endsWith(`:${code}`))).toEqual([]);
}

// Row 29 (sys/health on an active node, server_time_utc): holds on a real dev server too.
describeContract("doctor against Vault: clock and reachability", () => {
  it("clock_ok: Vault's clock (sys/health server_time_utc) agrees with this machine's", async () => {
    const vault = await target();
    const list = await run(vaultEnv(vault));
    expect(find(list, "clock_ok").message).toMatch(/^Clock within \d+ s of Vault's$/);
    without(list, "clock_skew");
    without(list, "vault_unreachable");
  });

  it("vault_active: an active node is reported ok with its version", async () => {
    // A dev server (or the double) is one active node: sys/health 200 (getSysHealth).
    const vault = await target();
    const finding = find(await run(vaultEnv(vault)), "vault_active");
    expect(finding.level).toBe("ok");
    expect(finding.message).toMatch(
      /^Vault at .* is initialised, unsealed and active \(version .+\)$/,
    );
  });

  it("vault_unreachable: a stopped Vault (closed port) is reported, and so are its consequences", async () => {
    const gone = new VaultDouble();
    const url = await gone.start();
    await gone.close();
    const list = await run(vaultEnv({ url, rootToken: "root" }));
    const finding = find(list, "vault_unreachable");
    expect(finding.level).toBe("error");
    expect(finding.message).toContain(url);
    // No Date header to compare with, and nothing could be read.
    without(list, "clock_ok");
    without(list, "clock_skew");
    expect(find(list, "secret_unreachable").level).toBe("error");
    expect(find(list, "store_unreachable").level).toBe("error");
    without(list, "secret_ok");
  });
});

describeDoubleOnly(
  "doctor against Vault: the double's clock",
  "sets Vault's clock (its Date header)",
  () => {
    const now = Date.UTC(2026, 2, 1, 9, 0, 0);

    it("clock_skew: Vault two minutes ahead or behind is an error naming the skew", async () => {
      for (const offsetSeconds of [120, -120]) {
        const vault = await target(new ManualClock(now + offsetSeconds * 1000));
        const list = await run(vaultEnv(vault), { clock: new ManualClock(now) });
        const finding = find(list, "clock_skew");
        expect(finding.level).toBe("error");
        expect(finding.message).toContain("120 s away from Vault's (tolerance 30 s)");
        expect(finding.fix).toMatch(/NTP/);
        without(list, "clock_ok");
      }
    });

    it("clock_ok within the tolerance (plus server_time_utc's one-second resolution)", async () => {
      const vault = await target(new ManualClock(now + 31_000));
      expect(
        find(await run(vaultEnv(vault), { clock: new ManualClock(now) }), "clock_ok").message,
      ).toBe("Clock within 31 s of Vault's");
      const skewed = await run(vaultEnv(vault), { clock: new ManualClock(now - 1000) });
      expect(find(skewed, "clock_skew").message).toContain("32 s away");
      const wider = await run(vaultEnv(vault), { clock: new ManualClock(now - 1000), maxSkew: 60 });
      expect(find(wider, "clock_ok").level).toBe("ok");
    });
  },
);

describeDoubleOnly(
  "doctor against Vault: seal, signing secret, reserved groups, path prefix",
  "seals the double, sets policies in code and writes the fleet's fixed secret and auth paths",
  () => {
    it("vault_sealed: a sealed Vault is an error, and nothing can be read", async () => {
      const vault = await target();
      vault.double.putSecret(SHARED_SECRET_NAME, { value: GOOD_SECRET });
      vault.double.seal();
      const list = await run(vaultEnv(vault));
      const finding = find(list, "vault_sealed");
      expect(finding.level).toBe("error");
      expect(finding.fix).toContain("vault operator unseal");
      expect(find(list, "secret_unreachable").message).toMatch(/sealed/i);
      expect(find(list, "store_unreachable").level).toBe("error");
      without(list, "secret_ok");

      vault.double.unseal();
      const unsealed = await run(vaultEnv(vault));
      without(unsealed, "vault_sealed");
      expect(find(unsealed, "secret_ok").level).toBe("ok");
    });

    it("secret_ok names version and fingerprint, never the value", async () => {
      const vault = await target();
      vault.double.putSecret(SHARED_SECRET_NAME, { value: `${GOOD_SECRET}-old` });
      vault.double.putSecret(SHARED_SECRET_NAME, { value: GOOD_SECRET });
      const list = await run(vaultEnv(vault));
      const finding = find(list, "secret_ok");
      expect(finding.message).toBe(
        `Signing secret ${SHARED_SECRET_NAME} v2 is readable: ${fingerprint(GOOD_SECRET)}`,
      );
      expect(JSON.stringify(list)).not.toContain(GOOD_SECRET);
    });

    it("secret_unreachable: no signing secret in Vault, with how to create it", async () => {
      const vault = await target();
      const list = await run(vaultEnv(vault));
      const finding = find(list, "secret_unreachable");
      expect(finding.level).toBe("error");
      expect(finding.message).toContain(`secret/${SHARED_SECRET_NAME}`);
      expect(finding.fix).toContain("vault kv put");
      without(list, "secret_ok");
    });

    it("secret_unreachable: the secret is stored under another field than 'value'", async () => {
      const vault = await target();
      vault.double.putSecret(SHARED_SECRET_NAME, { secret: GOOD_SECRET });
      const finding = find(await run(vaultEnv(vault)), "secret_unreachable");
      expect(finding.message).toContain("no string field 'value' (fields: secret)");
      expect(finding.message).not.toContain(GOOD_SECRET);
    });

    it("secret_too_weak: a short secret written straight into Vault", async () => {
      const vault = await target();
      const weak = "only-20-bytes-secret";
      vault.double.putSecret(SHARED_SECRET_NAME, { value: weak });
      const list = await run(vaultEnv(vault));
      const finding = find(list, "secret_too_weak");
      expect(finding.level).toBe("error");
      expect(finding.message).toContain("20 bytes; at least 32");
      expect(JSON.stringify(list)).not.toContain(weak);
      without(list, "secret_ok");
    });

    it("reserved_groups_missing, then reserved_groups_ok after `gofr-auth init`", async () => {
      const vault = await target();
      vault.double.putSecret(SHARED_SECRET_NAME, { value: GOOD_SECRET });
      const before = await run(vaultEnv(vault));
      expect(find(before, "secret_ok").level).toBe("ok");
      const missing = find(before, "reserved_groups_missing");
      expect(missing.level).toBe("warn");
      expect(missing.message).toBe("Reserved groups missing: public, admin");
      expect(missing.fix).toContain("gofr-auth init");

      await operatorCli(vault, ["init"], Date.now);
      const after = await run(vaultEnv(vault));
      expect(find(after, "reserved_groups_ok").level).toBe("ok");
      without(after, "reserved_groups_missing");
      // init kept the existing secret (it never rotates a live one).
      expect(find(after, "secret_ok").message).toContain(fingerprint(GOOD_SECRET));
      // The one remaining warning is about the identity, not the set-up: doctor runs here
      // with the double's root token, and Vault reports root capabilities as ["root"].
      expect(codes(after).filter((code) => !code.startsWith("ok:"))).toEqual([
        "warn:key_scope_root",
      ]);
      expect(find(after, "key_scope_root").message).toContain("is a Vault root token");
    });

    it("store_unreachable: the service's token may read the secret but not the auth paths", async () => {
      const vault = await target();
      await operatorCli(vault, ["init"], Date.now);
      vault.double.setPolicy("dig-secret-only", {
        [`secret/data/${SHARED_SECRET_NAME}`]: ["read"],
      });
      const token = vault.double.createToken({ policies: ["dig-secret-only"] });
      const list = await run(vaultEnv({ url: vault.url, rootToken: token }));
      expect(find(list, "secret_ok").level).toBe("ok");
      const finding = find(list, "store_unreachable");
      expect(finding.message).toMatch(/^Cannot read groups: .*permission denied/i);
      expect(finding.message).not.toContain(token);
    });

    it("path prefix derived from the service prefix: refused before connecting, or split from the fleet", async () => {
      const vault = await target();
      await operatorCli(vault, ["init"], Date.now);
      const derived = { [`${PREFIX}_VAULT_PATH_PREFIX`]: "gofr/dig/auth" };

      const requestsBefore = vault.double.requests.length;
      const refused = await run(vaultEnv(vault, derived));
      const finding = find(refused, "path_prefix_derived");
      expect(finding.level).toBe("error");
      expect(finding.message).toContain("'gofr/dig/auth'");
      expect(finding.fix).toBe(`unset ${PREFIX}_VAULT_PATH_PREFIX or set it to gofr/auth`);
      without(refused, "config_invalid"); // reported once, under its own code
      expect(vault.double.requests.length).toBe(requestsBefore); // no live checks

      // Forced through: the groups the fleet created under gofr/auth are not where it looks.
      const forced = await run(
        vaultEnv(vault, { ...derived, [`${PREFIX}_ALLOW_NONCANONICAL`]: "1" }),
      );
      expect(find(forced, "path_prefix_derived").level).toBe("error");
      expect(find(forced, "reserved_groups_missing").message).toContain("public, admin");
      expect(find(forced, "secret_ok").level).toBe("ok"); // secrets do not live under the prefix

      const canonical = await run(vaultEnv(vault));
      expect(find(canonical, "path_prefix_ok").level).toBe("ok");
      expect(find(canonical, "reserved_groups_ok").level).toBe("ok");
    });
  },
);

describeDoubleOnly(
  "doctor against Vault: node states from sys/health",
  "sets the double's node state",
  () => {
    // Each state with the default code getSysHealth answers (hashicorp `http/sys_health.go`;
    // docs/vault-contract.md row 29): what doctor reports and what it tells the operator to do.
    it.each([
      [
        "uninitialized",
        "error",
        "vault_uninitialized",
        /not initialised \(501\)/,
        /vault operator init/,
      ],
      [
        "removed",
        "error",
        "vault_removed",
        /removed from its Raft cluster \(530\)/,
        /still in the cluster/,
      ],
      [
        "ha-unhealthy",
        "error",
        "vault_ha_unhealthy",
        /cannot reach the active node \(474\)/,
        /8201/,
      ],
      [
        "dr-secondary",
        "error",
        "vault_dr_secondary",
        /disaster-recovery secondary \(472\)/,
        /primary cluster/,
      ],
      [
        "standby",
        "warn",
        "vault_standby",
        /standby node \(429\)/,
        /active node or .*load balancer/,
      ],
      [
        "performance-standby",
        "warn",
        "vault_performance_standby",
        /performance standby \(473\)/,
        /active node/,
      ],
    ] as const)("%s: %s %s, with what to do", async (mode, level, code, message, fix) => {
      const vault = await target();
      vault.double.setHealth(mode);
      const list = await run(vaultEnv(vault));
      const finding = find(list, code);
      expect(finding.level).toBe(level);
      expect(finding.message).toContain(`Vault at ${vault.url} `);
      expect(finding.message).toMatch(message);
      expect(finding.fix).toMatch(fix);
      without(list, "vault_active");
      without(list, "vault_unreachable");
      expect(find(list, "clock_ok").level).toBe("ok"); // the node still says its time
    });
  },
);
