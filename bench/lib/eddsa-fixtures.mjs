/**
 * What the EdDSA benches share: an AuthService whose issuer `deposito` mints and verifies
 * EdDSA with an Ed25519 key pair made for this run (in memory, never printed) while the
 * shared HS256 secret stays for the operator issuer, and the node:crypto floor of an EdDSA
 * verifier.
 */
import { generateKeyPairSync, verify } from "node:crypto";
import { AUDIENCE, newSecret } from "./fixtures.mjs";

/** The EdDSA issuer of the benches (Transit key `jwt-deposito`). */
export const EDDSA_ISSUER = "deposito";

/**
 * An AuthService with the shared HS256 secret (operator tokens) and issuer `deposito` on
 * EdDSA, its keys in a `MemoryEdDsaKeys` (reader and signer in one). `deposito` may grant
 * `admin` so its tokens carry the same groups as the HS256 benches' tokens.
 */
export function eddsaAuthService(lib, testing, options = {}) {
  const keys = new lib.MemoryEdDsaKeys();
  const pair = generateKeyPairSync("ed25519");
  keys.create(EDDSA_ISSUER, pair);
  const publicKeys = new lib.PublicKeySet({ reader: keys, logger: lib.silentLogger });
  const { auth } = testing.createTestAuthService({
    secret: newSecret(),
    issuerAlgorithms: { [EDDSA_ISSUER]: ["EdDSA"] },
    adminIssuers: ["gofr-auth", EDDSA_ISSUER],
    publicKeys,
    eddsaSigner: keys,
    ...options,
  });
  return { auth, issuer: auth.forIssuer(EDDSA_ISSUER), publicKey: pair.publicKey };
}

/**
 * The node:crypto floor for EdDSA: the least an Ed25519 JWT verifier can do and still be
 * one. Finds the two dots, `crypto.verify`s the signing input against the base64url-decoded
 * signature, then base64url-decodes and `JSON.parse`s the payload and checks `exp` and `aud`.
 * No header parsing, no `alg` or `kid` check, no issuer, no claim types, no size limit.
 */
export function createEdDsaFloorVerifier(publicKey, audience = AUDIENCE) {
  return (token) => {
    const first = token.indexOf(".");
    const second = token.indexOf(".", first + 1);
    if (first < 0 || second < 0 || token.includes(".", second + 1)) throw new Error("malformed");
    const input = Buffer.from(token.slice(0, second), "latin1");
    const signature = Buffer.from(token.slice(second + 1), "base64url");
    if (!verify(null, input, publicKey, signature)) throw new Error("bad signature");
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
