/** What an EdDSA issuer may be called: a `kid` label, so that `<issuer>.v<N>` parses. */
import { AuthError } from "../errors.js";
import { parseKeyId } from "../tokens/claims.js";

/** Issuer names are `kid` labels (`<issuer>.v<N>`): lower-case letters, digits, `_`, `-`. */
export function assertIssuerName(issuer: string): void {
  if (typeof issuer !== "string" || parseKeyId(`${issuer}.v1`) === undefined) {
    throw new AuthError("invalid_input", `'${String(issuer).slice(0, 64)}' is not an issuer name`, {
      hint: "1-64 of a-z 0-9 _ -, starting with a letter or digit (it is the kid label)",
    });
  }
}
