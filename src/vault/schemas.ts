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
