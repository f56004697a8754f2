/**
 * verify: AuthService.verifyToken(token, { stateless: true }) with a warm provider, against
 * the bare node:crypto floor and three JWT libraries doing the same checks (HS256 pinned,
 * exp, aud) on the same token, with their caches off.
 */
import { createSecretKey, webcrypto } from "node:crypto";
import { createVerifier } from "fast-jwt";
import { jwtVerify } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { AUDIENCE, createFloorVerifier, MINT_OPTIONS, newSecret } from "./lib/fixtures.mjs";
import { compare, measured, pick, ratioOf, target, withRatios } from "./lib/harness.mjs";

export const name = "verify";
export const title = "Stateless verification of one token, warm key (ops/s)";

export async function run({ testing, options, only }) {
  const secret = newSecret();
  const uncached = testing.createTestAuthService({ secret, verifiedCacheSize: 0 });
  const cached = testing.createTestAuthService({ secret });
  const { token } = await uncached.auth.tokens.mint(MINT_OPTIONS);
  const stateless = { stateless: true };

  const keyObject = createSecretKey(Buffer.from(secret, "utf8"));
  // jose is fastest with a WebCrypto CryptoKey (about 2x a KeyObject or raw bytes, measured here).
  const cryptoKey = await webcrypto.subtle.importKey(
    "raw",
    Buffer.from(secret, "utf8"),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const floor = createFloorVerifier(secret);
  const fast = createVerifier({ key: secret, algorithms: ["HS256"], allowedAud: AUDIENCE });
  const joseOptions = { algorithms: ["HS256"], audience: AUDIENCE };
  const jwtOptions = { algorithms: ["HS256"], audience: AUDIENCE };

  const cases = [
    {
      name: "floor",
      description: "node:crypto floor (split, HMAC, compare, JSON, exp/aud)",
      fn: () => floor(token),
    },
    {
      name: "ours-nocache",
      description: "AuthService.verifyToken stateless, verifiedCacheSize: 0",
      fn: () => uncached.auth.verifyToken(token, stateless),
    },
    {
      name: "ours-cache",
      description: "AuthService.verifyToken stateless, verified cache on (default 1000)",
      fn: () => cached.auth.verifyToken(token, stateless),
    },
    { name: "fast-jwt", description: "fast-jwt createVerifier, no cache", fn: () => fast(token) },
    {
      name: "jose",
      description: "jose jwtVerify (WebCrypto CryptoKey)",
      fn: () => jwtVerify(token, cryptoKey, joseOptions),
    },
    {
      name: "jsonwebtoken",
      description: "jsonwebtoken verify (KeyObject)",
      fn: () => jsonwebtoken.verify(token, keyObject, jwtOptions),
    },
  ];
  // Every candidate must accept the token before it is timed.
  for (const entry of cases) await entry.fn();

  const results = withRatios(await compare(pick(cases, only, "floor"), options), "floor");
  const targets = [];
  if (measured(results, "ours-nocache")) {
    targets.push(
      target("ours (cache off) / floor", ratioOf(results, "ours-nocache", "floor"), ">=", 0.9),
    );
  }
  if (measured(results, "ours-cache")) {
    targets.push(
      target("ours (cache on) / floor", ratioOf(results, "ours-cache", "floor"), ">=", 0.9),
    );
  }
  return {
    baseline: "floor",
    cases: results,
    targets,
    notes: [
      `token ${token.length} bytes; ours is async (awaited per call), the floor, fast-jwt and jsonwebtoken are sync`,
    ],
  };
}
