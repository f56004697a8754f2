import { createHmac } from "node:crypto";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Builds a JWT by hand (not with the library under test), signed with HMAC `hash`. */
export function forgeToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string,
  hash: "sha256" | "sha384" | "sha512" = "sha256",
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = createHmac(hash, secret).update(input).digest("base64url");
  return `${input}.${signature}`;
}

/** An unsigned token (`alg` as given, empty signature part). */
export function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>) {
  return `${b64(header)}.${b64(payload)}.`;
}

/** Replaces the payload of a signed token, keeping header and signature. */
export function withPayload(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split(".");
  return `${header}.${b64(payload)}.${signature}`;
}

export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[index] as string, "base64url").toString("utf8"));
}
