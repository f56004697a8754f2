/** What the `keys` commands share: an issuer's listing or a clear refusal, version ranges. */
import type { EdDsaKeyAdmin } from "../../eddsa/key-admin.js";
import type { EdDsaKeyListing } from "../../eddsa/sqlite-admin.js";
import { AuthError, isAuthError } from "../../errors.js";

/**
 * The issuer's listing, or the refusal of an issuer without a key naming those with one
 * (`verb`: what the command would have done, e.g. `rotate`).
 */
export async function listingOf(
  admin: EdDsaKeyAdmin,
  issuer: string,
  verb?: string,
): Promise<EdDsaKeyListing> {
  try {
    return await admin.list(issuer);
  } catch (error) {
    if (!isAuthError(error, "secret_unavailable")) throw error;
    const known = await admin.issuers().catch(() => undefined);
    const others = known === undefined ? "" : `; issuers with one: ${known.join(", ") || "none"}`;
    throw new AuthError(
      "secret_unavailable",
      `Issuer '${issuer}' has no EdDSA key in ${admin.description}${verb ? ` to ${verb}` : ""}`,
      {
        hint: `create one: gofr-auth keys create --issuer ${issuer}${others}`,
        details: { issuer },
        cause: error,
      },
    );
  }
}

/** `v2` or `v1-v3`. */
export function versionRange(from: number, to: number): string {
  return from === to ? `v${from}` : `v${from}-v${to}`;
}
