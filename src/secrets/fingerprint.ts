import { createHash } from "node:crypto";

/**
 * The only form in which a secret may appear in logs, errors, CLI output or metrics:
 * `sha256:` + the first 12 hex characters of SHA-256 of the UTF-8 secret (same as the
 * Python fleet, so fingerprints can be compared across both).
 */
export function fingerprint(secret: string): string {
  return fingerprintBytes(Buffer.from(secret, "utf8"));
}

/** {@link fingerprint} of raw bytes (an Ed25519 public key's 32 bytes). */
export function fingerprintBytes(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}`;
}
