/** Minting an EdDSA token: our own compact JWS, signed by an {@link EdDsaSigner}. */
import { ED25519_SIGNATURE_BYTES } from "../eddsa/public-key.js";
import type { EdDsaSigner } from "../eddsa/signer.js";
import { AuthError } from "../errors.js";
import { formatKeyId, type TokenClaims } from "./claims.js";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/** The encoded header naming `issuer`'s key `version`. */
const headerFor = (issuer: string, version: number) =>
  b64(JSON.stringify({ alg: "EdDSA", typ: "JWT", kid: formatKeyId(issuer, version) }));

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
  const { version, signature } = await signer.sign(issuer, (version) =>
    Buffer.from(`${headerFor(issuer, version)}.${payload}`, "utf8"),
  );
  checkAnswer(signer, issuer, version, [signature]);
  return {
    token: `${headerFor(issuer, version)}.${payload}.${signature.toString("base64url")}`,
    kid: formatKeyId(issuer, version),
  };
}

/**
 * {@link mintEdDsa} for each of `claims`, in one `signMany` call of the signer (all tokens
 * get the same version). All or nothing: any problem rejects the whole batch.
 */
export async function mintEdDsaMany(
  signer: EdDsaSigner & Required<Pick<EdDsaSigner, "signMany">>,
  issuer: string,
  claims: readonly TokenClaims[],
): Promise<{ tokens: string[]; kid: string }> {
  const payloads = claims.map((item) => b64(JSON.stringify(item)));
  const { version, signatures } = await signer.signMany(issuer, (version) =>
    payloads.map((payload) => Buffer.from(`${headerFor(issuer, version)}.${payload}`, "utf8")),
  );
  if (signatures.length !== payloads.length) {
    throw new AuthError(
      "store_unavailable",
      `The EdDSA signer answered ${signatures.length} signatures for ${payloads.length} tokens`,
      { details: { issuer, signer: signer.description } },
    );
  }
  checkAnswer(signer, issuer, version, signatures);
  const header = headerFor(issuer, version);
  return {
    tokens: payloads.map(
      (payload, index) =>
        `${header}.${payload}.${(signatures[index] as Buffer).toString("base64url")}`,
    ),
    kid: formatKeyId(issuer, version),
  };
}

/** A signer's answer must be a real version and 64-byte signatures. */
function checkAnswer(
  signer: EdDsaSigner,
  issuer: string,
  version: number,
  signatures: readonly Buffer[],
): void {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new AuthError("store_unavailable", `The EdDSA signer answered key version ${version}`, {
      details: { issuer, signer: signer.description },
    });
  }
  const bad = signatures.find((signature) => signature.length !== ED25519_SIGNATURE_BYTES);
  if (bad) {
    throw new AuthError(
      "store_unavailable",
      `The EdDSA signer answered a ${bad.length}-byte signature, not 64`,
      { details: { issuer, signer: signer.description } },
    );
  }
}
