/**
 * One HTTP request through the double: the request log, injected faults, the body limit,
 * a standby's redirect, then the router; and the answer written as Vault writes it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Fault, FaultPlan } from "./faults.js";
import { effectivelySealed } from "./health.js";
import { type Reply, VaultHttpError } from "./http.js";
import { route, UNFORWARDED_PATHS } from "./router.js";
import type { DoubleState } from "./state.js";

/** One request as the double saw it. */
export interface RequestLogEntry {
  /** HTTP method; `LIST` for the `LIST` verb (not for `GET ?list=true`). */
  method: string;
  /** URL path without the query, e.g. `/v1/secret/data/gofr/config/jwt-signing-secret`. */
  path: string;
  /** Query string including `?`, or `""`. */
  query: string;
  /** Status answered; 0 while in progress or when the connection was dropped. */
  status: number;
  /** `X-Vault-Namespace` header, if sent. */
  namespace: string | undefined;
  /** The double's clock when the request arrived (epoch ms). */
  time: number;
}

export interface HandlerContext {
  state: DoubleState;
  faults: FaultPlan;
  log: RequestLogEntry[];
  /** Bodies above this answer 413 (hashicorp `http/handler.go` `DefaultMaxRequestSize`). */
  maxRequestBytes: number;
  /** The header the listener adds to a request sent with the `LIST` verb. */
  listMarker: string;
  /** False once the double is closing. */
  running: () => boolean;
  /** Waits `ms` of real time (ended early by `close()`). */
  wait: (ms: number) => Promise<void>;
}

/** Row 38: over the limit, `http: request body too large` becomes 413 `error parsing JSON`. */
const TOO_LARGE = new VaultHttpError(413, { errors: ["error parsing JSON"] });

export async function handleRequest(
  context: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { state, faults } = context;
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const verb = header(req, context.listMarker) === "LIST" ? "LIST" : undefined;
  const method = verb ?? (req.method ?? "GET").toUpperCase();
  const entry: RequestLogEntry = {
    method,
    path: url.pathname,
    query: url.search,
    status: 0,
    namespace: header(req, "x-vault-namespace"),
    time: state.clock(),
  };
  context.log.push(entry);
  const send = (reply: Reply) => {
    entry.status = reply.status;
    respond(state, res, reply);
  };
  let fault: Fault | undefined;
  try {
    const raw = await readBody(req, context.maxRequestBytes);
    const latency = faults.latencyFor(method, url.pathname);
    if (latency > 0) await context.wait(latency);
    if (!context.running() || res.destroyed) return; // closed or client gone while we waited
    fault = faults.take(method, url.pathname);
    if (fault?.kind === "drop") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "fail") {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined
          ? {}
          : { "retry-after": String(fault.retryAfterSeconds) };
      send({ status: fault.status, body: fault.body, headers });
      return;
    }
    if (fault?.kind === "malformed") {
      entry.status = 200;
      writeRaw(state, res, 200, '{"request_id": "x", "data": {"data": {"value": ', {});
      return;
    }
    if (!url.pathname.startsWith("/v1/")) throw new VaultHttpError(404, { errors: [] });
    const path = decodeURIComponent(url.pathname.slice(4));
    const redirect = standbyRedirect(state, path, url);
    if (redirect) {
      send(redirect);
      return;
    }
    const reply = route(state, {
      method,
      path,
      query: url.searchParams,
      token: token(req),
      body: parseBody(method, raw),
    });
    if (fault?.kind === "lose-answer") {
      req.socket.destroy(); // applied above; the answer never reaches the client
      return;
    }
    send(reply);
  } catch (error) {
    if (fault?.kind === "lose-answer") {
      req.socket.destroy(); // the error answer is lost too
      return;
    }
    if (error instanceof VaultHttpError) send({ status: error.status, body: error.body });
    else send({ status: 500, body: { errors: [`vault double internal error: ${String(error)}`] } });
  }
}

/**
 * A standby without request forwarding answers 307 to the active node, keeping path and
 * query (hashicorp `http/handler.go` `respondStandby`; docs/vault-contract.md row 41). `sys/health`
 * and `sys/seal-status` are answered locally.
 */
function standbyRedirect(state: DoubleState, path: string, url: URL): Reply | undefined {
  if (state.health !== "standby" || !state.activeAddress || effectivelySealed(state)) return;
  if (UNFORWARDED_PATHS.has(path)) return;
  const active = new URL(state.activeAddress);
  return {
    status: 307,
    headers: { location: `${active.origin}${url.pathname}${url.search}` },
  };
}

function respond(state: DoubleState, res: ServerResponse, reply: Reply): void {
  const text =
    reply.status === 204 || reply.body === undefined ? undefined : JSON.stringify(reply.body);
  writeRaw(state, res, reply.status, text, reply.headers ?? {});
}

function writeRaw(
  state: DoubleState,
  res: ServerResponse,
  status: number,
  text: string | undefined,
  headers: Record<string, string>,
): void {
  if (res.destroyed || res.headersSent) return;
  res.setHeader("date", new Date(state.clock()).toUTCString());
  res.setHeader("cache-control", "no-store");
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (text === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.setHeader("content-type", "application/json");
  res.setHeader("content-length", Buffer.byteLength(text));
  res.writeHead(status);
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `X-Vault-Token`, else `Authorization: Bearer` (hashicorp `http/handler.go` getTokenFromReq). */
function token(req: IncomingMessage): string | undefined {
  const direct = header(req, "x-vault-token");
  if (direct) return direct;
  const bearer = /^Bearer\s+(.+)$/i.exec(header(req, "authorization") ?? "");
  return bearer?.[1];
}

/**
 * The whole body. Past `limit` it is still read to the end (so the client gets the 413
 * rather than a reset connection) but not kept.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > limit) reject(TOO_LARGE);
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}

/**
 * Vault decodes a JSON body only for POST, PUT and PATCH (`buildLogicalRequestNoAuth`);
 * a bad one is 400 `error parsing JSON` (row 39).
 */
function parseBody(method: string, raw: string): Record<string, unknown> {
  if (!["POST", "PUT", "PATCH"].includes(method) || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new VaultHttpError(400, { errors: ["error parsing JSON"] });
  }
  if (parsed === null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new VaultHttpError(400, { errors: ["error parsing JSON"] });
  }
  return parsed as Record<string, unknown>;
}
