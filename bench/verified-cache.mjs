/**
 * verified-cache: a repeated token through our verified-token cache (which still checks
 * exp, nbf, iat, aud, iss and the key's currency on every hit) against fast-jwt's own
 * verified-token cache (`cache: true`, which skips every check on a hit until its entry
 * expires).
 */
import { createVerifier } from "fast-jwt";
import { AUDIENCE, MINT_OPTIONS, newSecret } from "./lib/fixtures.mjs";
import { compare, measured, pick, ratioOf, target, withRatios } from "./lib/harness.mjs";

export const name = "verified-cache";
export const title = "Repeated token, verified-token caches on (ops/s)";

export async function run({ testing, options, only }) {
  const secret = newSecret();
  const { auth } = testing.createTestAuthService({ secret });
  const { token } = await auth.tokens.mint(MINT_OPTIONS);
  const stateless = { stateless: true };
  const fastCached = createVerifier({
    key: secret,
    algorithms: ["HS256"],
    allowedAud: AUDIENCE,
    cache: true,
  });

  const cases = [
    {
      name: "fast-jwt-cache",
      description: "fast-jwt createVerifier({ cache: true }) (default key: a hash of the token)",
      fn: () => fastCached(token),
    },
    {
      name: "ours-cache",
      description: "AuthService.verifyToken stateless, verified cache on",
      fn: () => auth.verifyToken(token, stateless),
    },
    {
      name: "tokens-cache",
      description: "TokenService.verify, verified cache on (no AuthContext, no AuthService)",
      fn: () => auth.tokens.verify(token),
    },
  ];
  for (const entry of cases) await entry.fn();
  const results = withRatios(
    await compare(pick(cases, only, "fast-jwt-cache"), options),
    "fast-jwt-cache",
  );
  return {
    baseline: "fast-jwt-cache",
    cases: results,
    targets: measured(results, "ours-cache")
      ? [
          target(
            "ours (cache on) / fast-jwt cache",
            ratioOf(results, "ours-cache", "fast-jwt-cache"),
            ">=",
            1,
          ),
        ]
      : [],
    notes: [
      "ours re-checks time, audience, issuer and key on every hit; fast-jwt's hit returns the cached payload",
    ],
  };
}
