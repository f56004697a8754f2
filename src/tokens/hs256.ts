/** The only place fast-jwt is configured: HS256 pinned, time checks left to checkClaims. */
import { createSigner, createVerifier } from "fast-jwt";
import type { TokenHeader } from "./claims.js";

export type Hs256Verifier = (token: string) => { header: TokenHeader; payload: unknown };
export type Hs256Signer = (payload: Record<string, unknown>) => string;

export function createHs256Verifier(key: string | Buffer): Hs256Verifier {
  return createVerifier({
    key,
    algorithms: ["HS256"],
    complete: true,
    // exp/nbf/iat are checked against the injected clock by TokenService.
    ignoreExpiration: true,
    ignoreNotBefore: true,
  }) as Hs256Verifier;
}

/** fast-jwt keeps the `iat` we put in the payload (from the injected clock). */
export function createHs256Signer(key: string | Buffer, kid: string): Hs256Signer {
  return createSigner({ key, algorithm: "HS256", kid });
}
