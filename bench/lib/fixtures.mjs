/**
 * What every bench needs: the built package (from dist/, as a user imports it), a fresh
 * random secret per run (never printed), and tokens minted by our TokenService.
 */
import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = new URL("../../", import.meta.url);

/** Absolute path of a file in the repository. */
export function repoPath(relative) {
  return fileURLToPath(new URL(relative, root));
}

/** Imports a built module, with a clear message when the build is missing. */
export async function importBuilt(relative, hint) {
  const path = repoPath(relative);
  if (!existsSync(path)) {
    throw new Error(`bench: ${relative} is missing; ${hint}`);
  }
  return import(new URL(relative, root).href);
}

/** The package's main entry and `gofr-auth/testing`, as built by `npm run build`. */
export async function loadPackage() {
  const hint = "run `npm run build` first (npm run bench does)";
  const lib = await importBuilt("dist/index.js", hint);
  const testing = await importBuilt("dist/testing/index.js", hint);
  return { lib, testing };
}

/** A new 256-bit secret for this run. It never leaves the process. */
export function newSecret() {
  return randomBytes(32).toString("base64url");
}

export const AUDIENCE = "gofr-api";

/** A typical service token: two groups, a name, 30 days. */
export const MINT_OPTIONS = {
  groups: ["billing", "admin"],
  name: "bench-client",
  expiresInSeconds: 30 * 24 * 3600,
};

/**
 * The bare node:crypto floor: split, HMAC-SHA256, timingSafeEqual, base64url decode,
 * JSON.parse, exp and aud checks. No header checks, no claim types, no error codes: what
 * any HS256 verifier must do at the least.
 */
export function createFloorVerifier(secret, audience = AUDIENCE) {
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  return (token) => {
    const parts = token.split(".");
    if (parts.length !== 3) throw new Error("malformed");
    const [header, payload, signature] = parts;
    const mac = createHmac("sha256", key)
      .update(token.slice(0, header.length + 1 + payload.length))
      .digest();
    const given = Buffer.from(signature, "base64url");
    if (given.length !== mac.length || !timingSafeEqual(mac, given)) {
      throw new Error("bad signature");
    }
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (typeof claims.exp !== "number" || Date.now() / 1000 >= claims.exp) {
      throw new Error("expired");
    }
    const aud = claims.aud;
    if (aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) {
      throw new Error("audience");
    }
    return claims;
  };
}
