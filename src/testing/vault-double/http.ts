/**
 * Answers as Vault writes them: the JSON envelope, `{"errors": [...]}` bodies and the exact
 * permission-denied text that clients match on.
 */
import { randomUUID } from "node:crypto";

/** Vault's 403 body (also what an expired or revoked token gets). */
export const PERMISSION_DENIED_BODY = { errors: ["1 error occurred:\n\t* permission denied\n\n"] };
export const SEALED_BODY = { errors: ["Vault is sealed"] };

/** Thrown inside the double to answer with `status` and `body`. */
export class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`vault double answered ${status}`);
  }
}

export const fail = (status: number, ...errors: string[]) => new VaultHttpError(status, { errors });

export const denied = () => new VaultHttpError(403, PERMISSION_DENIED_BODY);

export const notFound = () => new VaultHttpError(404, { errors: [] });

/** `respondError(w, status, nil)`: the status with an empty errors list. */
export const bare = (status: number) => new VaultHttpError(status, { errors: [] });

export const noRoute = (path: string) =>
  fail(404, `no handler for route "${path}". route entry not found.`);

/**
 * A backend's plain Go error: `handleRequest` appends it to a multierror, so the text
 * Vault sends is `1 error occurred:\n\t* <message>\n\n` (hashicorp `vault/request_handling.go`).
 */
export const plainError = (status: number, message: string) =>
  fail(status, `1 error occurred:\n\t* ${message}\n\n`);

export const unsupported = () => plainError(405, "unsupported operation");

/** What a handler returns: a status and an optional JSON body (`undefined` -> no body). */
export interface Reply {
  status: number;
  body?: unknown;
  /** Extra response headers (`Location` of a standby redirect, ...). */
  headers?: Record<string, string>;
}

/**
 * A deep copy with every object's keys in sorted order, as Go's `encoding/json` writes a
 * `map[string]interface{}` ("The map keys are sorted", encoding/json `Marshal`). KV v2
 * stores `json.Marshal(data)` and answers through a map (vault-plugin-secrets-kv
 * `path_data.go` write and read; `docs/vault-contract.md` row 17), so clients never see the order
 * they wrote. Arrays keep their order.
 */
export function goJsonOrder<T>(value: T): T {
  if (Array.isArray(value)) return value.map(goJsonOrder) as T;
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = goJsonOrder((value as Record<string, unknown>)[key]);
  }
  return out as T;
}

/** The envelope of a successful read or write. */
export function envelope(
  data: unknown,
  mountType: string,
  extra: { auth?: unknown; warnings?: string[] | null } = {},
): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    // logical.Response.Data is a Go map: its keys go out sorted.
    data: goJsonOrder(data),
    wrap_info: null,
    warnings: extra.warnings ?? null,
    auth: extra.auth ?? null,
    mount_type: mountType,
  };
}

export const ok = (data: unknown, mountType: string): Reply => ({
  status: 200,
  body: envelope(data, mountType),
});

export const noContent = (): Reply => ({ status: 204 });
