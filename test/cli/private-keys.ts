/**
 * The forms a leaked Ed25519 private key could take in CLI output, to assert that none
 * appears: PEM (PKCS#8), DER base64, and the 32-byte seed as base64, base64url and hex.
 */
import type { KeyObject } from "node:crypto";
import type { Plane } from "./planes.js";

export function privateKeyForms(plane: Plane, issuer: string): string[] {
  return plane.eddsaPrivateKeys(issuer).flatMap((key) => forms(key));
}

function forms(key: KeyObject): string[] {
  const pem = key.export({ format: "pem", type: "pkcs8" }).toString();
  const der = key.export({ format: "der", type: "pkcs8" });
  const seed = Buffer.from(key.export({ format: "jwk" }).d as string, "base64url");
  // The PEM's base64 body, line by line (each 64-character line alone would be a leak).
  const body = pem.split("\n").filter((line) => line && !line.startsWith("-----"));
  return [
    pem.trim(),
    ...body,
    der.toString("base64"),
    seed.toString("base64"),
    seed.toString("base64url"),
    seed.toString("hex"),
  ];
}
