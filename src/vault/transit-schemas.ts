/**
 * The shapes of the transit answers the client reads (hashicorp
 * `builtin/logical/transit/path_keys.go` `formatKeyPolicy`, `path_sign_verify.go`
 * `pathSignWrite`). Like `schemas.ts`: strict about what we use, lenient about extra fields.
 */
import { z } from "zod";

/** A key version as a map key: `"1"`, `"2"`, ... (`strconv.Itoa`). */
const versionNumber = z.string().regex(/^[1-9]\d{0,8}$/, "not a key version number");

/** `formatKeyPolicy`: what create, read, rotate and config all answer. */
export const transitKeyResponse = z.object({
  data: z.object({
    name: z.string(),
    type: z.string(),
    derived: z.boolean().default(false),
    deletion_allowed: z.boolean().default(false),
    exportable: z.boolean().default(false),
    latest_version: z.number().int().positive(),
    min_available_version: z.number().int().nonnegative().default(0),
    min_decryption_version: z.number().int().nonnegative(),
    min_encryption_version: z.number().int().nonnegative(),
    // Asymmetric keys list `asymKey` entries; symmetric ones a creation time in seconds.
    keys: z.record(
      versionNumber,
      z.object({ creation_time: z.string(), name: z.string(), public_key: z.string() }),
    ),
  }),
  warnings: z.array(z.string()).nullish(),
});

/** `pathSignWrite` with `batch_input`: one `batchResponseSignItem` per input, in order. */
export const transitBatchSignResponse = z.object({
  data: z.object({
    batch_results: z.array(
      z.object({
        signature: z.string().optional(),
        key_version: z.number().int().nonnegative(),
        error: z.string().optional(),
        reference: z.string().default(""),
      }),
    ),
  }),
});
