/** Minting an EdDSA token: our own compact JWS, signed by an {@link EdDsaSigner}. */
import { ED25519_SIGNATURE_BYTES } from "../eddsa/public-key.js";
import type { EdDsaSigner } from "../eddsa/signer.js";
import { AuthError } from "../errors.js";
import { formatKeyId, type TokenClaims } from "./claims.js";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/**
 * Signs `claims` as `issuer` with the signer's latest key version:
 * header `{"alg":"EdDSA","typ":"JWT","kid":"<issuer>.v<N>"}`. The signer gives the version
 * (it may re-read it if the key rotated while signing), so the `kid` is built per version.
 */
export async function mintEdDsa(
  signer: EdDsaSigner,
  issuer: string,
  claims: TokenClaims,
): Promise<{ token: string; kid: string }> {
  const payload = b64(JSON.stringify(claims));
  const headerFor = (version: number) =>
    b64(JSON.stringify({ alg: "EdDSA", typ: "JWT", kid: formatKeyId(issuer, version) }));
  const { version, signature } = await signer.sign(issuer, (version) =>
    Buffer.from(`${headerFor(version)}.${payload}`, "utf8"),
  );
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new AuthError("store_unavailable", `The EdDSA signer answered key version ${version}`, {
      details: { issuer, signer: signer.description },
    });
  }
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new AuthError(
      "store_unavailable",
      `The EdDSA signer answered a ${signature.length}-byte signature, not 64`,
      { details: { issuer, signer: signer.description } },
    );
  }
  return {
    token: `${headerFor(version)}.${payload}.${signature.toString("base64url")}`,
    kid: formatKeyId(issuer, version),
  };
}
