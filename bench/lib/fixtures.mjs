/**
 * What every bench needs: the built package (from dist/, as a user imports it), a fresh
 * random secret per run (never printed), and tokens minted by our TokenService.
 */
import { createHmac, createSecretKey, randomBytes } from "node:crypto";
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
 * A new string equal to `token`, the way a service gets its token: each request's
 * `Authorization` header is a new string, and the adapters slice the token out of it. Such a
 * string is not interned and has no cached hash, so a cache keyed by the token pays for
 * hashing it on every request. Passing the same string object on every call (as these benches
 * once did) lets V8 reuse the hash it cached in that object: on the bench machine a `Map`
 * lookup of the 377-character bench token took ~7 ns that way and ~500 ns with a fresh copy.
 * The copy itself costs ~7 ns (a concatenation, flattened by the slice); the benches that use
 * it call it in every case, baseline included.
 */
export function freshCopy(token) {
  return `Bearer ${token}`.slice(7);
}

/**
 * The node:crypto floor: the least an HS256 verifier can do and still be one. Finds the two
 * dots, computes HMAC-SHA256 of the signing input straight to base64url and compares that
 * string with the token's signature (plain `===`, not constant-time), then base64url-decodes
 * and `JSON.parse`s the payload and checks `exp` and `aud`. No header parsing, no `alg`
 * check, no claim types, no error codes, no size limit.
 */
export function createFloorVerifier(secret, audience = AUDIENCE) {
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  return (token) => {
    const first = token.indexOf(".");
    const second = token.indexOf(".", first + 1);
    if (first < 0 || second < 0 || token.includes(".", second + 1)) throw new Error("malformed");
    const mac = createHmac("sha256", key).update(token.slice(0, second)).digest("base64url");
    if (mac !== token.slice(second + 1)) throw new Error("bad signature");
    const payload = Buffer.from(token.slice(first + 1, second), "base64url").toString("utf8");
    const claims = JSON.parse(payload);
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

/**
 * Throws unless every case (`{ name, fn(token) }`) accepts `token` and refuses it with one
 * payload character changed: no verifier is timed while skipping its signature check.
 */
export async function acceptsOnly(token, cases) {
  const at = token.indexOf(".") + 5;
  const tampered = `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
  for (const entry of cases) {
    await entry.fn(token);
    const refused = await Promise.resolve()
      .then(() => entry.fn(tampered))
      .then(
        () => false,
        () => true,
      );
    if (!refused) throw new Error(`bench: case '${entry.name}' accepted a tampered token`);
  }
}
