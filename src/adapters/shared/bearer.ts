import { AuthError } from "../../errors.js";

/**
 * `Bearer`, one space, one token (RFC 6750 `b64token`), nothing else. The scheme is
 * case-insensitive (RFC 7235); anything looser (two tokens, extra spaces, a comma-joined
 * second header) is refused rather than guessed at, so a proxy that appends a credential
 * can never make us verify the wrong one. As a pattern: `/^bearer ([A-Za-z0-9\-._~+/]+=*)$/i`,
 * checked in two steps (below) because the case-insensitive scan of a whole token is slow.
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** "bearer " as char codes, letters lower-case. */
const SCHEME = [0x62, 0x65, 0x61, 0x72, 0x65, 0x72, 0x20];

/**
 * The pattern's capture group (or undefined), without the case-insensitive scan of the whole token: the
 * scheme's letters are compared with `| 0x20` (which maps exactly `A-Z` onto `a-z`, and
 * nothing else onto a letter or the space), the rest with the case-sensitive pattern.
 */
function bearerTokenOf(header: string): string | undefined {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: a fast refusal; the loop refuses a shorter header (charCodeAt past the end is NaN) and the pattern an empty token
  if (header.length <= SCHEME.length) return undefined;
  for (let i = 0; i < SCHEME.length; i += 1) {
    const code = header.charCodeAt(i);
    const wanted = SCHEME[i] as number;
    if (code !== wanted && (wanted === 0x20 || (code | 0x20) !== wanted)) return undefined;
  }
  const token = header.slice(SCHEME.length);
  return B64TOKEN.test(token) ? token : undefined;
}

/**
 * The token of an `Authorization: Bearer <token>` header. Throws `token_missing` when there
 * is no header (or an empty one) and `token_malformed` for any other shape, including a
 * list (more than one header). On `node:http`, pass `authorizationOf(req)`: Node's
 * `req.headers.authorization` holds only the first of several headers. Tokens are never
 * read from the query string or cookies: those end up in logs and browser history.
 */
export function readBearerToken(header: string | readonly string[] | null | undefined): string {
  if (header === undefined || header === null || header.length === 0) {
    throw new AuthError("token_missing", "No bearer token: send 'Authorization: Bearer <token>'");
  }
  if (typeof header !== "string") {
    throw new AuthError("token_malformed", "More than one Authorization header was sent", {
      hint: "send exactly one 'Authorization: Bearer <token>' header",
    });
  }
  const token = bearerTokenOf(header);
  if (token === undefined) {
    throw new AuthError(
      "token_malformed",
      "The Authorization header is not 'Bearer <token>' (one space, one token)",
      { hint: "send exactly one 'Authorization: Bearer <token>' header" },
    );
  }
  return token;
}
