/**
 * Turns Vault answers and transport failures into {@link AuthError}s with stable codes.
 * Every message names the request (method, URL path) and the status, and ends with a hint.
 * Nothing here ever sees a token or secret_id in a form it could print: request bodies are
 * never quoted, and any text taken from Vault's answer is scrubbed of the values the
 * client knows to be secret.
 */
import { AuthError, type AuthErrorCode, describeError } from "../errors.js";

/** What a message says about the request that failed. */
export interface VaultCall {
  method: string;
  /** URL path with query, e.g. `/v1/secret/data/gofr/config/x?version=2`. */
  path: string;
  /** Origin (and base path) of Vault, without credentials. */
  address: string;
  /** Attempts made (1 + retries). */
  attempts: number;
  /** Login calls read 400 "invalid role or secret ID" as an auth failure. */
  kind: "login" | "api";
  /** AppRole sessions get a different hint on 403 (policies live on the role). */
  authMethod: "token" | "approle" | "none";
}

/** Vault's `{"errors": [...]}` list, or `[]` when the body is not that shape. */
export function vaultErrorMessages(body: unknown): string[] {
  if (typeof body !== "object" || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.filter((item): item is string => typeof item === "string");
}

/** True for Vault's sealed answer: 503 `{"errors":["Vault is sealed"]}` (or health's body). */
export function isSealedAnswer(status: number, body: unknown): boolean {
  if (status !== 503) return false;
  if (vaultErrorMessages(body).some((message) => /sealed/i.test(message))) return true;
  return (body as { sealed?: unknown } | null)?.sealed === true;
}

/** Replaces every known secret in `text` (tokens, secret_ids) before it reaches a message. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/** The policy path a request needs (`secret/data/x`), for hints. */
function policyPath(call: VaultCall): string {
  return call.path.replace(/^\/v1\//, "").replace(/\?.*$/, "");
}

function summary(body: unknown, secrets: readonly (string | undefined)[]): string {
  const messages = vaultErrorMessages(body)
    .map((message) => message.replace(/\s+/g, " ").replace(/^1 error occurred: \* /, ""))
    .map((message) => message.trim())
    .filter(Boolean);
  if (messages.length === 0) return "";
  const joined = redact(messages.join("; "), secrets);
  return `: ${joined.length > 200 ? `${joined.slice(0, 200)}...` : joined}`;
}

function make(
  code: AuthErrorCode,
  message: string,
  hint: string,
  call: VaultCall,
  status: number | undefined,
  extra: Record<string, unknown> = {},
  cause?: unknown,
): AuthError {
  return new AuthError(code, message, {
    hint,
    cause,
    details: {
      vault: call.address,
      method: call.method,
      path: call.path,
      status,
      attempts: call.attempts,
      ...extra,
    },
  });
}

/**
 * A wrong secret_id is 400 `invalid role or secret ID` (approle `path_login.go`
 * `pathLoginUpdate`: `logical.ErrInvalidCredentials`); Vault counts those per role_id.
 */
const REFUSED_LOGIN_HINT =
  "check role_id and secret_id (env or creds file), that the secret_id has not expired, " +
  "and that the AppRole auth method is mounted at this path; repeated failures lock the " +
  "role_id for 15 minutes (Vault user lockout, 5 failures), so the client waits before " +
  "sending the same credentials again, and tries a changed creds file at once";

/**
 * While a role_id is locked every login gets 403, correct credentials included
 * (hashicorp `vault/request_handling.go` `handleLoginRequest`: `isUserLocked` returns
 * `logical.ErrPermissionDenied`). Unlocking: `sys/locked-users/:mount_accessor/unlock/:alias`,
 * where the alias of an AppRole login is its role_id (api-docs/system/user-lockout).
 */
const LOCKED_LOGIN_HINT =
  "the role_id is probably locked after repeated failed logins (Vault user lockout: 5 " +
  "failures lock it for 15 minutes); fix the credentials, then wait or unlock it with " +
  "`vault write -f sys/locked-users/<mount accessor>/unlock/<role_id>` (the accessor of " +
  "the approle mount is in `vault auth list -detailed`; locked role_ids in " +
  "`vault read sys/locked-users`); if it is not locked, Vault's audit log says why it refused";

/**
 * The error a caller gets instead of another login with credentials Vault just refused:
 * Vault's last answer, when the next try is due, and what would make it sooner.
 */
export function loginBackoffError(last: AuthError, refusals: number, retryAt: number): AuthError {
  const answer = last.hint ? last.message.replace(` (hint: ${last.hint})`, "") : last.message;
  const when = new Date(retryAt).toISOString();
  return new AuthError(
    last.code,
    `Not sending the AppRole login again before ${when}: Vault refused these credentials ` +
      `${refusals} time(s) in a row (last answer: ${answer})`,
    {
      hint: last.hint,
      cause: last,
      details: { ...last.details, refusals, retryAt: when },
    },
  );
}

/**
 * A standby without request forwarding answers 307 with the active node's address
 * (hashicorp `http/handler.go` `respondStandby`; docs/vault-contract.md row 41). The client follows
 * one such hop; this is the error when it will not.
 */
export function standbyRedirectError(
  call: VaultCall,
  location: string | undefined,
  reason: string,
): AuthError {
  return make(
    "vault_unreachable",
    `Vault at ${call.address} is a standby and redirected ${call.method} ${call.path} to ` +
      `${location ?? "(no Location)"} (307), which the client does not follow: ${reason}`,
    "point the Vault URL at the active node or at a load balancer that routes to it, " +
      "or enable request forwarding on the standbys",
    call,
    307,
    { location },
  );
}

/** Maps a non-2xx answer to a typed error. */
export function errorFromResponse(
  call: VaultCall,
  status: number,
  body: unknown,
  secrets: readonly (string | undefined)[] = [],
): AuthError {
  const what = `${call.method} ${call.path}`;
  const said = summary(body, secrets);
  const tries = call.attempts > 1 ? ` after ${call.attempts} attempts` : "";

  if (isSealedAnswer(status, body)) {
    return make(
      "vault_sealed",
      `Vault at ${call.address} is sealed (${what} answered ${status})`,
      "unseal it (vault operator unseal) or wait for auto-unseal; nothing can be read until then",
      call,
      status,
    );
  }
  if (call.kind === "login" && (status === 400 || status === 401 || status === 403)) {
    return make(
      "vault_permission_denied",
      `Vault refused the AppRole login (${what} answered ${status}${said})`,
      status === 403 ? LOCKED_LOGIN_HINT : REFUSED_LOGIN_HINT,
      call,
      status,
    );
  }
  if (status === 401 || status === 403) {
    const hint =
      call.authMethod === "approle"
        ? `the AppRole role's token_policies must allow this request on '${policyPath(call)}'`
        : `the token needs a policy allowing this request on '${policyPath(call)}', ` +
          "and must not be expired or revoked";
    return make(
      "vault_permission_denied",
      `Vault denied ${what} (${status} permission denied)`,
      hint,
      call,
      status,
    );
  }
  if (status === 404) {
    const data = (body as { data?: { metadata?: { version?: unknown; deletion_time?: unknown } } })
      ?.data;
    const deleted =
      typeof data?.metadata?.deletion_time === "string" && data.metadata.deletion_time;
    return make(
      "vault_not_found",
      deleted
        ? `Nothing readable at ${what} (404: version ${String(data?.metadata?.version)} is deleted)`
        : `Nothing at ${what} (404)`,
      deleted
        ? "undelete the version or write a new one"
        : "check the mount, the path prefix and that the value was written",
      call,
      status,
      {
        deleted: Boolean(deleted),
        version: typeof data?.metadata?.version === "number" ? data.metadata.version : undefined,
      },
    );
  }
  if (status === 400 && vaultErrorMessages(body).some((m) => /check-and-set/i.test(m))) {
    if (vaultErrorMessages(body).some((m) => /required/i.test(m))) {
      // Not a lost race: retrying the same write cannot succeed.
      return make(
        "vault_bad_response",
        `Vault rejected ${what}: check-and-set parameter required (400)`,
        "the mount or key has cas_required set; write with a cas version or unset it",
        call,
        status,
      );
    }
    return make(
      "vault_cas_mismatch",
      `Vault rejected ${what}: check-and-set version did not match (400)`,
      "another writer changed the value first; read it again and retry",
      call,
      status,
    );
  }
  if (status === 429 || status >= 500) {
    return make(
      "vault_unreachable",
      `Vault could not serve ${what}${tries} (${status}${said})`,
      status === 429
        ? "Vault is rate limiting this client; lower the request rate or raise the quota"
        : "Vault is failing or overloaded; check its logs and health (GET /v1/sys/health)",
      call,
      status,
    );
  }
  return make(
    "vault_bad_response",
    `Vault rejected ${what} (${status}${said})`,
    "the request does not fit this Vault (mount type, KV version, path); check the mount and path",
    call,
    status,
  );
}

/** A 2xx answer whose body is not the JSON Vault sends. */
export function badResponseError(call: VaultCall, status: number, problem: string): AuthError {
  return make(
    "vault_bad_response",
    `Unexpected answer from Vault for ${call.method} ${call.path} (${status}): ${problem}`,
    "check that the URL points at Vault itself, not at a proxy or another service",
    call,
    status,
  );
}

/**
 * An answer longer than the client's `maxResponseBytes`: the read was stopped at the limit
 * and the connection closed, so nothing past it was buffered. Not retried.
 */
export function responseTooLargeError(
  call: VaultCall,
  status: number,
  limitBytes: number,
  declaredBytes: number | undefined,
): AuthError {
  const announced = declaredBytes === undefined ? "" : ` (Content-Length ${declaredBytes})`;
  return make(
    "vault_bad_response",
    `Vault's answer to ${call.method} ${call.path} is larger than the ${byteSize(limitBytes)} ` +
      `limit${announced}; the read was stopped there`,
    "a gofr-auth record or signing secret is a few KiB: check that the URL points at Vault " +
      "itself (not a proxy or another service) and the path at the right entry; raise " +
      "maxResponseBytes only if an entry really is that large",
    call,
    status,
    { tooLarge: true, limitBytes, declaredBytes },
  );
}

/** `4 MiB`, `512 KiB` or `100 bytes`, for messages. */
function byteSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** No answer at all: refused, reset, DNS, TLS or timed out. */
export function unreachableError(
  call: VaultCall,
  cause: unknown,
  timedOutAfterMs: number | undefined,
): AuthError {
  const tries = call.attempts > 1 ? `, ${call.attempts} attempts` : "";
  const reason =
    timedOutAfterMs !== undefined ? `no answer within ${timedOutAfterMs} ms` : networkReason(cause);
  return make(
    "vault_unreachable",
    `Could not reach Vault at ${call.address} (${call.method} ${call.path}${tries}): ${reason}`,
    timedOutAfterMs !== undefined
      ? "Vault is slow or the network drops packets; check its load, or raise the client timeout"
      : "check the Vault URL, the network and TLS settings, and that Vault is running",
    call,
    undefined,
    { timedOut: timedOutAfterMs !== undefined },
    cause,
  );
}

function networkReason(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  for (let depth = 0; current && depth < 3; depth += 1) {
    const code = (current as { code?: unknown }).code;
    const text = current instanceof Error ? current.message : describeError(current);
    parts.push(typeof code === "string" && !text.includes(code) ? `${code} ${text}` : text);
    current = (current as { cause?: unknown }).cause;
  }
  return [...new Set(parts.filter(Boolean))].join(" <- ") || "network error";
}
