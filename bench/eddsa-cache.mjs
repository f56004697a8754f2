/**
 * eddsa-cache: a repeated EdDSA token against a repeated HS256 token through the same
 * AuthService (verifyToken stateless, verified-token cache on). A hit skips the signature
 * check whatever the algorithm, and still checks time, audience, issuer and the key's
 * currency (for EdDSA: the issuer's public key set), so the two should cost about the same.
 * Each call gets a fresh copy of its token (`freshCopy`), as from a new request.
 */
import { eddsaAuthService } from "./lib/eddsa-fixtures.mjs";
import { acceptsOnly, freshCopy, MINT_OPTIONS } from "./lib/fixtures.mjs";
import { compare, measured, pick, ratioOf, target, withRatios } from "./lib/harness.mjs";

export const name = "eddsa-cache";
export const title =
  "Repeated token, fresh string per call, verified-token cache on: EdDSA vs HS256 (ops/s)";

export async function run({ lib, testing, options, only }) {
  const { auth, issuer } = eddsaAuthService(lib, testing);
  const hs256 = (await auth.tokens.mint(MINT_OPTIONS)).token;
  const eddsa = (await issuer.tokens.mint(MINT_OPTIONS)).token;
  const stateless = { stateless: true };
  const verify = (t) => auth.verifyToken(t, stateless);

  const cases = [
    {
      name: "hs256-cache",
      description: "AuthService.verifyToken stateless, cache on, the operator's HS256 token",
      fn: () => verify(freshCopy(hs256)),
    },
    {
      name: "eddsa-cache",
      description: "the same service and call, issuer deposito's EdDSA token",
      fn: () => verify(freshCopy(eddsa)),
    },
  ];
  await acceptsOnly(hs256, [{ name: "hs256-cache", fn: verify }]);
  await acceptsOnly(eddsa, [{ name: "eddsa-cache", fn: verify }]);
  const results = withRatios(
    await compare(pick(cases, only, "hs256-cache"), options),
    "hs256-cache",
  );
  return {
    baseline: "hs256-cache",
    cases: results,
    targets: measured(results, "eddsa-cache")
      ? [
          target(
            "EdDSA / HS256, cache on",
            ratioOf(results, "eddsa-cache", "hs256-cache"),
            ">=",
            0.9,
          ),
        ]
      : [],
    notes: [
      `tokens: HS256 ${hs256.length} bytes, EdDSA ${eddsa.length} bytes (86-character signature); a hit hashes the whole token string for the lookup`,
      "both tokens verified once before timing (first call fills the cache), and refused with one payload character changed",
    ],
  };
}
