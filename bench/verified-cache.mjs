/**
 * verified-cache: a repeated token through our verified-token cache (which still checks
 * exp, nbf, iat, aud, iss and the key's currency on every hit) against fast-jwt's own
 * verified-token cache (`cache: true`, which skips every check on a hit until its entry
 * expires). Each call gets a fresh copy of the token (`freshCopy`), as from a new request:
 * equal content, a new string object, so a lookup keyed by the token hashes it again.
 */
import { createVerifier } from "fast-jwt";
import { AUDIENCE, acceptsOnly, freshCopy, MINT_OPTIONS, newSecret } from "./lib/fixtures.mjs";
import { compare, measured, pick, ratioOf, target, withRatios } from "./lib/harness.mjs";

export const name = "verified-cache";
export const title = "Repeated token, fresh string per call, verified-token caches on (ops/s)";

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
  const fresh = (verify) => () => verify(freshCopy(token));

  const cases = [
    {
      name: "fast-jwt-cache",
      description:
        "fast-jwt createVerifier({ cache: true }) (key: SHA-256 of the token), fresh string",
      fn: fresh(fastCached),
    },
    {
      name: "ours-cache",
      description: "AuthService.verifyToken stateless, verified cache on, fresh string",
      fn: fresh((t) => auth.verifyToken(t, stateless)),
    },
    {
      name: "tokens-cache",
      description: "TokenService.verify, verified cache on, fresh string (no AuthContext)",
      fn: fresh((t) => auth.tokens.verify(t)),
    },
    {
      name: "ours-cache-same-string",
      description:
        "diagnostic, no target: ours-cache given the same string object every call (hash cached)",
      fn: () => auth.verifyToken(token, stateless),
    },
  ];
  await acceptsOnly(token, [
    { name: "fast-jwt-cache", fn: fastCached },
    { name: "ours-cache", fn: (t) => auth.verifyToken(t, stateless) },
    { name: "tokens-cache", fn: (t) => auth.tokens.verify(t) },
  ]);
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
            "ours (cache on, fresh string) / fast-jwt cache",
            ratioOf(results, "ours-cache", "fast-jwt-cache"),
            ">=",
            1,
          ),
        ]
      : [],
    notes: [
      "ours re-checks time, audience, issuer and key on every hit; fast-jwt's hit returns the cached payload",
      "the fresh copy per call costs every case the same (~7 ns); the same-string case shows what reusing one string object hides",
    ],
  };
}
