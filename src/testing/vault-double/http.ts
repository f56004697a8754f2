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

export const noRoute = (path: string) =>
  fail(404, `no handler for route "${path}". route entry not found.`);

export const unsupported = () => fail(405, "1 error occurred:\n\t* unsupported operation\n\n");

/** What a handler returns: a status and an optional JSON body (`undefined` -> no body). */
export interface Reply {
  status: number;
  body?: unknown;
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
    data,
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
