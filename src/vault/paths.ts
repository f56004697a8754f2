/**
 * Vault paths: checked and URL-encoded one segment at a time, so a name can never climb
 * out of its mount (`..`) or smuggle a query string into a request.
 */
import { AuthError } from "../errors.js";

/**
 * Normalises a KV path (`/gofr/auth/x/` -> `gofr/auth/x`) and refuses empty, `.` and `..`
 * segments. `allowEmpty` permits the mount root (for listing).
 */
export function normalizeKvPath(path: string, allowEmpty = false): string {
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") {
    if (allowEmpty) return "";
    throw new AuthError("invalid_input", "A Vault KV path must not be empty", {
      hint: "use a path such as gofr/config/jwt-signing-secret",
    });
  }
  const segments = trimmed.split("/");
  if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw new AuthError("invalid_input", `Invalid Vault KV path ${JSON.stringify(path)}`, {
      hint: "use '/'-separated names without empty, '.' or '..' segments",
    });
  }
  return trimmed;
}

/** `gofr/config/a b` -> `gofr/config/a%20b`. */
export function encodePath(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

/** A mount name (`secret`, `kv/team`), checked like a path. */
export function normalizeMount(mount: string): string {
  return normalizeKvPath(mount);
}
