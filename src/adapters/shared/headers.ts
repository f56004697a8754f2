import type { IncomingHttpHeaders } from "node:http";

/** What {@link authorizationOf} reads: a `node:http` `IncomingMessage` (or HTTP/2's compat request). */
export interface RawHeaderSource {
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
}

const NAME = "authorization";

/**
 * The `Authorization` header as the client sent it: the value, `undefined` when absent, or
 * every value when there is more than one. Node keeps only the first `Authorization` in
 * `req.headers` and drops the others, so reading `req.headers.authorization` would verify
 * one credential while a proxy or the app may act on another; `readBearerToken` refuses the
 * list. Counted on `rawHeaders`, which Node has already built (`headersDistinct` would build
 * a second object of every header on each request).
 */
export function authorizationOf(req: RawHeaderSource): string | string[] | undefined {
  const first = req.headers.authorization;
  // Stryker disable next-line ConditionalExpression: a fast path; Node sets headers.authorization whenever rawHeaders has one, so the count would be 0 and `first` returned
  if (first === undefined) return undefined;
  const raw = req.rawHeaders;
  let count = 0;
  // Stryker disable next-line EqualityOperator: raw[raw.length] is undefined, never a header name
  for (let i = 0; i < raw.length; i += 2) {
    if (isAuthorization(raw[i])) count += 1;
  }
  if (count <= 1) return first;
  const values: string[] = [];
  // Stryker disable next-line EqualityOperator: raw[raw.length] is undefined, never a header name
  for (let i = 0; i < raw.length; i += 2) {
    if (isAuthorization(raw[i])) values.push(raw[i + 1] ?? "");
  }
  return values;
}

function isAuthorization(name: string | undefined): boolean {
  return (
    name !== undefined &&
    // Stryker disable next-line ConditionalExpression: a fast refusal; no name of another length lower-cases to "authorization"
    name.length === NAME.length &&
    name.toLowerCase() === NAME
  );
}

/** True for an object with Node's `headers` and `rawHeaders` (e.g. Hono's `c.env.incoming`). */
export function hasRawHeaders(value: unknown): value is RawHeaderSource {
  return (
    typeof value === "object" &&
    value !== null &&
    Array.isArray((value as RawHeaderSource).rawHeaders) &&
    typeof (value as RawHeaderSource).headers === "object"
  );
}
