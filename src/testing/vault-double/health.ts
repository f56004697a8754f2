/**
 * `sys/health` and `sys/seal-status` as Vault 1.20 answers them, for every node state the
 * double can pretend to be in (docs/vault-contract.md row 29; hashicorp `http/sys_health.go`
 * `getSysHealth`, `http/sys_seal.go`).
 */
import type { Clock } from "../../clock.js";
import { fail, type Reply, VaultHttpError } from "./http.js";

/**
 * What kind of node the double pretends to be, as `sys/health` reports it. `seal()` is
 * separate: a sealed double answers 503 whatever its mode (except `uninitialized` and
 * `removed`, which Vault checks first).
 */
export type VaultHealthMode =
  | "active"
  | "standby"
  | "performance-standby"
  | "dr-secondary"
  | "ha-unhealthy"
  | "removed"
  | "uninitialized";

export const HEALTH_MODES: readonly VaultHealthMode[] = [
  "active",
  "standby",
  "performance-standby",
  "dr-secondary",
  "ha-unhealthy",
  "removed",
  "uninitialized",
];

export interface HealthState {
  clock: Clock;
  sealed: boolean;
  health: VaultHealthMode;
  version: string;
  clusterId: string;
}

/**
 * Whether the node answers `Vault is sealed` to everything else: Vault seals a node removed
 * from the cluster, and an uninitialized node has never been unsealed.
 */
export function effectivelySealed(state: HealthState): boolean {
  return state.sealed || state.health === "removed" || state.health === "uninitialized";
}

/** Default status codes and the query parameter that overrides each (`getSysHealth`). */
const CODES = {
  active: ["activecode", 200],
  standby: ["standbycode", 429],
  drSecondary: ["drsecondarycode", 472],
  perfStandby: ["performancestandbycode", 473],
  haUnhealthy: ["haunhealthycode", 474],
  uninit: ["uninitcode", 501],
  sealed: ["sealedcode", 503],
  removed: ["removedcode", 530],
} as const;

type CodeName = keyof typeof CODES;

/** `GET`/`HEAD sys/health`. A bad parameter is 400 `{"errors":[]}`, as `respondError(w, 400, nil)`. */
export function health(state: HealthState, method: string, query: URLSearchParams): Reply {
  if (method !== "GET" && method !== "HEAD") throw new VaultHttpError(405, { errors: [] });
  const status = healthStatus(state, query);
  if (method === "HEAD") {
    // handleSysHealthHead: the status and Content-Type, no body.
    return { status, headers: { "content-type": "application/json" } };
  }
  return { status, body: healthBody(state) };
}

function healthStatus(state: HealthState, query: URLSearchParams): number {
  const standbyOk = goBoolParam(query, "standbyok");
  const perfStandbyOk = goBoolParam(query, "perfstandbyok");
  const codes = {} as Record<CodeName, number>;
  for (const name of Object.keys(CODES) as CodeName[]) {
    const [param, fallback] = CODES[name];
    codes[name] = statusParam(query, param) ?? fallback;
  }
  // The order of the switch in getSysHealth: uninitialized, removed, sealed, HA unhealthy,
  // DR secondary, performance standby (unless perfstandbyok), standby (unless standbyok).
  switch (true) {
    case state.health === "uninitialized":
      return codes.uninit;
    case state.health === "removed":
      return codes.removed;
    case state.sealed:
      return codes.sealed;
    case state.health === "ha-unhealthy":
      return codes.haUnhealthy;
    case state.health === "dr-secondary":
      return codes.drSecondary;
    case state.health === "performance-standby":
      return perfStandbyOk ? codes.active : codes.perfStandby;
    case state.health === "standby":
      return standbyOk ? codes.active : codes.standby;
    default:
      return codes.active;
  }
}

function healthBody(state: HealthState): Record<string, unknown> {
  const sealed = effectivelySealed(state);
  const mode = state.health;
  // A sealed core reports standby (c.standby stays true until unseal completes).
  const standby =
    sealed || mode === "standby" || mode === "performance-standby" || mode === "ha-unhealthy";
  const body: Record<string, unknown> = {
    initialized: mode !== "uninitialized",
    sealed,
    standby,
    performance_standby: mode === "performance-standby",
    replication_performance_mode: "disabled",
    replication_dr_mode: mode === "dr-secondary" ? "secondary" : "disabled",
    server_time_utc: Math.floor(state.clock() / 1000),
    version: state.version,
    enterprise: false,
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    replication_primary_canary_age_ms: 0,
  };
  // cluster_name / cluster_id are `omitempty` and only fetched when unsealed.
  if (!sealed) {
    body.cluster_name = "vault-double";
    body.cluster_id = state.clusterId;
  }
  if (mode === "removed") body.removed_from_cluster = true;
  if (mode === "ha-unhealthy") {
    body.ha_connection_healthy = false;
    body.last_request_forwarding_heartbeat_ms = 12_000;
  }
  return body;
}

/** `parseutil.ParseBool` (mapstructure weak decode): `strconv.ParseBool`, and `""` is false. */
function goBoolParam(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null || raw === "") return false;
  const value = parseGoBool(raw);
  if (value === undefined) throw new VaultHttpError(400, { errors: [] });
  return value;
}

/** `fetchStatusCode`: `strconv.Atoi` of the first value; anything else is 400. */
function statusParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^[+-]?\d+$/.test(raw)) throw new VaultHttpError(400, { errors: [] });
  const code = Number(raw);
  // Go's WriteHeader panics outside 100-999; refuse those instead of crashing.
  if (code < 100 || code > 999) throw fail(400, `invalid status code ${code}`);
  return code;
}

/** Go's `strconv.ParseBool`: the exact spellings it accepts, else `undefined`. */
export function parseGoBool(raw: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(raw)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(raw)) return false;
  return undefined;
}

/** `GET sys/seal-status` (hashicorp `http/sys_seal.go`); answers even when sealed. */
export function sealStatus(state: HealthState, method: string): Reply {
  if (method !== "GET") throw new VaultHttpError(405, { errors: [] }); // respondError(w, 405, nil)
  const sealed = effectivelySealed(state);
  const initialized = state.health !== "uninitialized";
  return {
    status: 200,
    body: {
      type: "shamir",
      initialized,
      sealed,
      t: initialized ? 1 : 0,
      n: initialized ? 1 : 0,
      progress: 0,
      nonce: "",
      version: state.version,
      build_date: "2026-01-01T00:00:00Z",
      migration: false,
      recovery_seal: false,
      storage_type: "inmem",
      ...(state.health === "removed" ? { removed_from_cluster: true } : {}),
      ...(sealed ? {} : { cluster_name: "vault-double", cluster_id: state.clusterId }),
    },
  };
}
