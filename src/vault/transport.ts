/**
 * One HTTP exchange with Vault over undici: send, read the whole body, give up after a
 * deadline. No retries, no error mapping (the client does both), so this stays the only
 * place that knows undici.
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
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text };
  } catch (error) {
    throw new TransportError(signal.aborted, error);
  }
}
