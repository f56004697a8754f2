/**
 * `doctor`'s live look at Vault itself: what `sys/health` says about the node the URL points
 * at, and how far this machine's clock is from Vault's.
 */
import { type Clock, systemClock } from "../clock.js";
import { describeError, isAuthError } from "../errors.js";
import type { VaultHealth, VaultNodeState } from "../vault/client.js";
import { withVaultClient } from "./backends.js";
import type { FindingLevel } from "./doctor.js";
import type { AuthEnv } from "./env.js";

type Add = (level: FindingLevel, code: string, message: string, fix?: string) => void;

/** The doctor options these checks read. */
export interface HealthCheckOptions {
  clock?: Clock;
  maxClockSkewSeconds?: number;
}

/**
 * What `sys/health` says about each node state that is not plain "active", with what to
 * do (default codes: hashicorp `http/sys_health.go` `getSysHealth`; docs/vault-contract.md row 29).
 */
const HEALTH_FINDINGS: Record<
  Exclude<VaultNodeState, "active">,
  { level: FindingLevel; code: string; what: string; fix: string }
> = {
  uninitialized: {
    level: "error",
    code: "vault_uninitialized",
    what: "is not initialised (501): it holds no data and serves no requests",
    fix: "initialise and unseal it (vault operator init, vault operator unseal), then run `gofr-auth init`; or fix the URL if it points at a new, empty Vault",
  },
  sealed: {
    level: "error",
    code: "vault_sealed",
    what: "is sealed",
    fix: "unseal it (vault operator unseal) or check its auto-unseal",
  },
  removed: {
    level: "error",
    code: "vault_removed",
    what: "was removed from its Raft cluster (530) and no longer serves requests",
    fix: "point the URL at a node that is still in the cluster (or at its load balancer)",
  },
  "ha-unhealthy": {
    level: "error",
    code: "vault_ha_unhealthy",
    what: "is a standby that cannot reach the active node (474): requests it forwards fail",
    fix: "check the network between the Vault nodes (cluster_addr, port 8201), or point the URL at a healthy node or the load balancer",
  },
  "dr-secondary": {
    level: "error",
    code: "vault_dr_secondary",
    what: "is a disaster-recovery secondary (472): it serves no client requests",
    fix: "point the URL at the primary cluster; promote the DR secondary only in a real disaster",
  },
  standby: {
    level: "warn",
    code: "vault_standby",
    what: "is a standby node (429): every request is forwarded to the active node, or redirected (307) when request forwarding is off",
    fix: "point the URL at the active node or at a load balancer that routes to it (the client follows one redirect)",
  },
  "performance-standby": {
    level: "warn",
    code: "vault_performance_standby",
    what: "is a performance standby (473): it serves reads itself and forwards writes, so a read can briefly miss a write (a revocation) made through the active node",
    fix: "fine for services that only read; point operator commands (init, rotate, tokens revoke) at the active node",
  },
};

/** Asks Vault's `sys/health` with the service's own client settings (TLS, namespace). */
function readVaultHealth(vault: NonNullable<AuthEnv["vault"]>): Promise<VaultHealth> {
  return withVaultClient(vault, (client) => client.health()); // no token is sent, no login happens
}

export async function checkVaultHealth(
  vault: NonNullable<AuthEnv["vault"]>,
  options: HealthCheckOptions,
  add: Add,
): Promise<void> {
  const url = vault.url;
  let health: VaultHealth;
  try {
    health = await readVaultHealth(vault);
  } catch (error) {
    add(
      "error",
      "vault_unreachable",
      `Vault at ${url} does not answer: ${describeError(error)}`,
      (isAuthError(error) && error.hint) || "check the URL, the network and that Vault runs",
    );
    return;
  }
  if (health.state === "active") {
    const version = health.version ? ` (version ${health.version})` : "";
    add("ok", "vault_active", `Vault at ${url} is initialised, unsealed and active${version}`);
  } else {
    const finding = HEALTH_FINDINGS[health.state];
    add(finding.level, finding.code, `Vault at ${url} ${finding.what}`, finding.fix);
  }
  checkVaultClock(health.serverTime, options, add);
}

function checkVaultClock(vaultTime: Date | undefined, options: HealthCheckOptions, add: Add): void {
  if (!vaultTime) return;
  const clock = options.clock ?? systemClock;
  const maxSkew = options.maxClockSkewSeconds ?? 30;
  const skew = Math.abs(clock() - vaultTime.getTime()) / 1000;
  // Vault's server_time_utc has one-second resolution: allow that on top of the tolerance.
  if (skew > maxSkew + 1) {
    add(
      "error",
      "clock_skew",
      `This machine's clock is ${Math.round(skew)} s away from Vault's (tolerance ${maxSkew} s): tokens will look expired or not yet valid`,
      "synchronise clocks with NTP (chrony, systemd-timesyncd)",
    );
  } else {
    add("ok", "clock_ok", `Clock within ${Math.ceil(skew)} s of Vault's`);
  }
}
