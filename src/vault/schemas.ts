/**
 * The shapes of the Vault answers this client reads. Parsing is strict about what we use
 * and lenient about extra fields (Vault adds fields across versions). A mismatch becomes
 * `vault_bad_response`, never a silently missing value.
 */
import { z } from "zod";

const stringMap = z.record(z.string(), z.unknown());

export const kvVersionMetadata = z.object({
  created_time: z.string(),
  custom_metadata: z.record(z.string(), z.string()).nullish(),
  deletion_time: z.string().default(""),
  destroyed: z.boolean().default(false),
  version: z.number().int(),
});

export const kvReadResponse = z.object({
  data: z.object({
    data: stringMap.nullable(),
    metadata: kvVersionMetadata,
  }),
});

export const kvWriteResponse = z.object({ data: kvVersionMetadata });

export const kvMetadataResponse = z.object({
  data: z.object({
    cas_required: z.boolean().default(false),
    created_time: z.string(),
    current_version: z.number().int(),
    custom_metadata: z.record(z.string(), z.string()).nullish(),
    delete_version_after: z.string().default("0s"),
    max_versions: z.number().int().default(0),
    oldest_version: z.number().int().default(0),
    updated_time: z.string(),
    versions: z.record(
      z.string(),
      z.object({
        created_time: z.string(),
        deletion_time: z.string().default(""),
        destroyed: z.boolean().default(false),
      }),
    ),
  }),
});

export const listResponse = z.object({ data: z.object({ keys: z.array(z.string()) }) });

export const authResponse = z.object({
  auth: z.object({
    client_token: z.string().min(1),
    accessor: z.string().default(""),
    policies: z.array(z.string()).nullish(),
    token_policies: z.array(z.string()).nullish(),
    lease_duration: z.number().int().nonnegative(),
    renewable: z.boolean(),
  }),
  warnings: z.array(z.string()).nullish(),
});

export const lookupSelfResponse = z.object({
  data: z.object({
    accessor: z.string().default(""),
    creation_ttl: z.number().int().default(0),
    display_name: z.string().default(""),
    expire_time: z.string().nullish(),
    policies: z.array(z.string()).default([]),
    renewable: z.boolean().default(false),
    ttl: z.number().int(),
  }),
});

export const healthResponse = z.object({
  initialized: z.boolean(),
  sealed: z.boolean(),
  standby: z.boolean(),
  performance_standby: z.boolean().optional(),
  server_time_utc: z.number().optional(),
  version: z.string().optional(),
  cluster_name: z.string().optional(),
});

/** What a Vault node is, as `GET sys/health` says it. */
export type VaultNodeState =
  | "active"
  | "standby"
  | "performance-standby"
  | "dr-secondary"
  | "ha-unhealthy"
  | "removed"
  | "sealed"
  | "uninitialized";

/**
 * `sys/health`'s default status codes, which the client never overrides (hashicorp
 * `http/sys_health.go` `getSysHealth`; api-docs/system/health; docs/vault-contract.md row 29):
 * 474 (a standby that cannot reach the active node) and 530 (removed from the Raft cluster)
 * since Vault 1.19.
 */
export const HEALTH_STATES: ReadonlyMap<number, VaultNodeState> = new Map([
  [200, "active"],
  [429, "standby"],
  [472, "dr-secondary"],
  [473, "performance-standby"],
  [474, "ha-unhealthy"],
  [501, "uninitialized"],
  [503, "sealed"],
  [530, "removed"],
]);

/** `GET /v1/sys/health`, whatever the node's state. */
export interface VaultHealth {
  /**
   * 200 active, 429 standby, 472 DR secondary, 473 performance standby, 474 standby that
   * cannot reach the active node, 501 not initialised, 503 sealed, 530 removed from the cluster.
   */
  status: number;
  /** What the node is, from `status`. */
  state: VaultNodeState;
  /** Vault's clock (`server_time_utc`, whole seconds), when it says. */
  serverTime: Date | undefined;
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  version: string | undefined;
  clusterName: string | undefined;
}

/** A `sys/health` answer as {@link VaultHealth}, or the problem with it. */
export function parseHealth(
  status: number,
  body: unknown,
): { ok: true; value: VaultHealth } | { ok: false; problem: string } {
  const parsed = parseShape(healthResponse, body);
  if (!parsed.ok) return parsed;
  const state = HEALTH_STATES.get(status);
  if (!state) return { ok: false, problem: `status ${status} is not a sys/health code` };
  const health = parsed.value;
  const seconds = health.server_time_utc;
  return {
    ok: true,
    value: {
      status,
      state,
      serverTime: seconds === undefined ? undefined : new Date(seconds * 1000),
      initialized: health.initialized,
      sealed: health.sealed,
      standby: health.standby,
      version: health.version,
      clusterName: health.cluster_name,
    },
  };
}

/** Parses or describes the first problem (field path and expectation, never a value). */
export function parseShape<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; problem: string } {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join(".") : "body";
  return { ok: false, problem: `field '${where}': ${issue?.message ?? "unexpected shape"}` };
}
