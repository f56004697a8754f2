/**
 * mint: TokenService.mint (group checks, a UUID, claims, the token record, kid header) vs
 * fast-jwt's signer on a payload built per call the same way (UUID, times, groups).
 */
import { randomUUID } from "node:crypto";
import { createSigner } from "fast-jwt";
import { AUDIENCE, MINT_OPTIONS, newSecret } from "./lib/fixtures.mjs";
import { compare, pick, withRatios } from "./lib/harness.mjs";

export const name = "mint";
export const title = "Minting one token (ops/s)";

export async function run({ testing, options, only }) {
  const secret = newSecret();
  const { auth } = testing.createTestAuthService({ secret });
  const sign = createSigner({ key: secret, algorithm: "HS256", kid: "shared.v1" });
  const { groups, name: tokenName, expiresInSeconds } = MINT_OPTIONS;
  const fastMint = () => {
    const iat = Math.floor(Date.now() / 1000);
    return sign({
      jti: randomUUID(),
      groups,
      iat,
      nbf: iat,
      exp: iat + expiresInSeconds,
      aud: AUDIENCE,
      iss: "gofr-auth",
      sub: tokenName,
      name: tokenName,
    });
  };
  const cases = [
    {
      name: "fast-jwt",
      description: "fast-jwt createSigner, payload built per call",
      fn: fastMint,
    },
    {
      name: "ours",
      description: "TokenService.mint (claims, record, kid; not stored)",
      fn: () => auth.tokens.mint(MINT_OPTIONS),
    },
  ];
  for (const entry of cases) await entry.fn();
  const results = withRatios(await compare(pick(cases, only, "fast-jwt"), options), "fast-jwt");
  return {
    baseline: "fast-jwt",
    cases: results,
    targets: [],
    notes: ["no target: minting is rare next to verification; the ratio is for information"],
  };
}
