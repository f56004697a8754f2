/**
 * One HTTP exchange with Vault over undici: send, read the body up to a size limit, give up
 * after a deadline, and follow a standby's one 307 redirect to the active node. No retries, no
 * error mapping (the client does both), so this stays the only place that knows undici.
 * Also the small URL and JSON helpers the client builds requests and reads answers with.
 */
import { readFileSync } from "node:fs";
import { Agent, type Dispatcher, request } from "undici";
import { AuthError, describeError } from "../errors.js";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface SendInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Longest body read; a longer answer rejects with {@link ResponseTooLarge}. */
  maxResponseBytes: number;
}

/** A failure with no HTTP answer; `timedOut` tells a deadline from a refused/reset socket. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(timedOut ? "timed out" : describeError(cause), { cause });
  }
}

/**
 * An answer whose body is longer than the limit. Thrown as soon as the limit is passed (or
 * at once when `Content-Length` says so), after the connection is closed: the rest of the
 * body is never read, so a huge or endless answer cannot fill memory.
 */
export class ResponseTooLarge extends Error {
  override readonly name = "ResponseTooLarge";
  constructor(
    readonly status: number,
    readonly limitBytes: number,
    /** What `Content-Length` announced, when it did. */
    readonly declaredBytes: number | undefined,
  ) {
    super(`response body larger than ${limitBytes} bytes`);
  }
}

export interface TlsOptions {
  /** PEM file with the CA(s) that signed Vault's certificate (`VAULT_CACERT`). */
  caFile?: string;
  /** Accept any certificate (`VAULT_SKIP_VERIFY`). For development only. */
  tlsSkipVerify?: boolean;
}

/** A connection pool for one client; owns its sockets so `close()` can release them. */
export function createAgent(tls: TlsOptions): Agent {
  let ca: Buffer | undefined;
  if (tls.caFile) {
    try {
      ca = readFileSync(tls.caFile);
    } catch (error) {
      throw new AuthError(
        "config_invalid",
        `Cannot read the Vault CA file ${tls.caFile}: ${describeError(error)}`,
        { hint: "point caFile (VAULT_CACERT) at a readable PEM file", cause: error },
      );
    }
  }
  return new Agent({
    connect: {
      ...(ca ? { ca } : {}),
      ...(tls.tlsSkipVerify ? { rejectUnauthorized: false } : {}),
    },
    keepAliveTimeout: 10_000,
  });
}

export async function sendOnce(
  dispatcher: Dispatcher,
  url: string,
  init: SendInit,
): Promise<RawResponse> {
  // One deadline for connect, headers and body: a Vault that stalls mid-body is as down
  // as one that never answers.
  const signal = AbortSignal.timeout(init.timeoutMs);
  try {
    const response = await request(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal,
      dispatcher,
    });
    const text = await readCapped(response, init.maxResponseBytes);
    return { status: response.statusCode, headers: response.headers, text };
  } catch (error) {
    if (error instanceof ResponseTooLarge) throw error;
    throw new TransportError(signal.aborted, error);
  }
}

/** The body as UTF-8, read chunk by chunk and abandoned (socket destroyed) past `limit`. */
async function readCapped(response: Dispatcher.ResponseData, limit: number): Promise<string> {
  const declared = Number(headerValue(response.headers["content-length"]));
  if (Number.isFinite(declared) && declared > limit) {
    response.body.destroy();
    throw new ResponseTooLarge(response.statusCode, limit, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      response.body.destroy();
      throw new ResponseTooLarge(response.statusCode, limit, undefined);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A standby's 307 that is not followed; the client maps it to a typed error. */
export class RedirectRefused extends Error {
  override readonly name = "RedirectRefused";
  constructor(
    readonly location: string | undefined,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * {@link sendOnce}, then, when a standby without request forwarding answers 307 (hashicorp
 * `http/handler.go` `respondStandby`; docs/vault-contract.md row 41), the same request (method, body,
 * headers, token included) once more to its `Location`, as Vault's Go client does (`api`
 * `Client.RawRequestWithContext`: one redirect, never from https to http). Never more than
 * one hop; each hop has its own deadline. Throws {@link RedirectRefused} for a second 307,
 * a missing or non-http(s) `Location`, or a downgrade from https to http, which would send
 * the token in clear.
 */
export async function sendFollowingStandby(
  dispatcher: Dispatcher,
  url: string,
  init: SendInit,
): Promise<RawResponse> {
  const first = await sendOnce(dispatcher, url, init);
  if (first.status !== 307) return first;
  const target = redirectTarget(url, first.headers.location);
  const second = await sendOnce(dispatcher, target, init);
  if (second.status === 307) {
    throw new RedirectRefused(
      headerValue(second.headers.location),
      `${target} redirected again; only one hop is followed`,
    );
  }
  return second;
}

function redirectTarget(from: string, header: string | string[] | undefined): string {
  const location = headerValue(header);
  if (!location) throw new RedirectRefused(undefined, "the answer has no Location header");
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    throw new RedirectRefused(location, "the Location is not a URL");
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw new RedirectRefused(location, "the Location is not an http(s) URL");
  }
  if (new URL(from).protocol === "https:" && target.protocol !== "https:") {
    throw new RedirectRefused(location, "it would downgrade https to http (the token in clear)");
  }
  if (target.username || target.password) {
    throw new RedirectRefused(target.host, "the Location carries credentials");
  }
  return target.href;
}

function headerValue(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

/** Vault's address as a URL: http(s), without credentials. */
export function parseAddress(address: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new AuthError(
      "config_invalid",
      `The Vault address ${JSON.stringify(address)} is not a URL`,
      {
        hint: "use the VAULT_ADDR form, e.g. https://vault.internal:8200",
      },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AuthError(
      "config_invalid",
      `The Vault address must be http(s), got ${url.protocol}`,
      {
        hint: "use the VAULT_ADDR form, e.g. https://vault.internal:8200",
      },
    );
  }
  if (url.username || url.password) {
    throw new AuthError("config_invalid", "The Vault address must not carry credentials", {
      hint: "pass the token or AppRole credentials through the auth option",
    });
  }
  return url;
}

/** `?a=1&b=x` from the defined values, or `""`. */
export function queryString(
  query: Record<string, string | number | boolean | undefined> | undefined,
): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Vault's answer as JSON, if it is JSON. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
