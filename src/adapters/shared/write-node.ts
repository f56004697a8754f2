import type { ServerResponse } from "node:http";

/** A JSON answer: an `AuthResponse`, or the MCP adapter's OAuth-shaped variant. */
export interface JsonResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Writes a refusal on a plain `node:http` response (also used under Express and the MCP SDK). */
export function writeNodeResponse(res: ServerResponse, response: JsonResponse): void {
  if (res.headersSent) {
    // Too late for a status line; closing is the only honest signal left.
    res.destroy();
    return;
  }
  const body = JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...response.headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** The path without the query string: queries can carry secrets and never go to logs. */
export function pathOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const end = url.indexOf("?");
  return end === -1 ? url : url.slice(0, end);
}
