import { AuthError } from "../../errors.js";

/**
 * `Bearer`, one space, one token (RFC 6750 `b64token`), nothing else. The scheme is
 * case-insensitive (RFC 7235); anything looser (two tokens, extra spaces, a comma-joined
 * second header) is refused rather than guessed at, so a proxy that appends a credential
 * can never make us verify the wrong one.
 */
const BEARER = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The token of an `Authorization: Bearer <token>` header. Throws `token_missing` when there
 * is no header (or an empty one) and `token_malformed` for any other shape. Tokens are
 * never read from the query string or cookies: those end up in logs and browser history.
 */
export function readBearerToken(header: string | readonly string[] | null | undefined): string {
  if (header === undefined || header === null || header === "" || header.length === 0) {
    throw new AuthError("token_missing", "No bearer token: send 'Authorization: Bearer <token>'");
  }
  if (typeof header !== "string") {
    throw new AuthError("token_malformed", "More than one Authorization header was sent", {
      hint: "send exactly one 'Authorization: Bearer <token>' header",
    });
  }
  const match = BEARER.exec(header);
  if (!match) {
    throw new AuthError(
      "token_malformed",
      "The Authorization header is not 'Bearer <token>' (one space, one token)",
      { hint: "send exactly one 'Authorization: Bearer <token>' header" },
    );
  }
  return match[1] as string;
}
