/**
 * Service "processes" for the propagation suites: each has what a separate process would
 * have (its own Vault client, change marker, secret source, store, key ring, service and
 * poller), all on one Vault double. Each client sends its own `X-Vault-Namespace`, which the
 * double records (and does not enforce), so the request log tells whose reads were whose.
 * Polls run on one `ManualTimers` over one `ManualClock`, as real processes share one time.
 */
import { AuthService } from "../../src/auth-service.js";
import type { Logger } from "../../src/log.js";
import { silentLogger } from "../../src/log.js";
import { ChangeMarker } from "../../src/propagation/marker.js";
import { ChangePoller } from "../../src/propagation/poller.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { VaultSecretSource } from "../../src/secrets/vault.js";
import { VaultAuthStore } from "../../src/store/vault.js";
import type { ManualClock } from "../../src/testing/clock.js";
import type { ManualTimers, VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";

export const MARKER_PATH = "/v1/secret/data/gofr/auth/_changes";
export const SHARED_PATH = `/v1/secret/data/${SHARED_SECRET_NAME}`;

export interface StackOptions {
  clock: ManualClock;
  timers: ManualTimers;
  rotationGraceSeconds?: number;
  intervalSeconds?: number;
  logger?: Logger;
  /** Client retries (default 0: a failed poll is one request, which keeps counts exact). */
  maxRetries?: number;
}

export interface Stack {
  name: string;
  client: VaultClient;
  marker: ChangeMarker;
  source: VaultSecretSource;
  store: VaultAuthStore;
  keyRing: KeyRing;
  auth: AuthService;
  poller: ChangePoller;
}

export function vaultStack(double: VaultDouble, name: string, options: StackOptions): Stack {
  const clock = options.clock.now;
  const logger = options.logger ?? silentLogger;
  const client = new VaultClient({
    address: double.url,
    auth: { method: "token", token: double.rootToken },
    namespace: name,
    maxRetries: options.maxRetries ?? 0,
    retryBaseDelayMs: 0,
    timeoutMs: 3000,
    clock,
    logger: silentLogger,
  });
  const marker = new ChangeMarker({ kv: client.kv(), pathPrefix: "gofr/auth", clock, logger });
  const source = new VaultSecretSource({ client, changes: marker });
  // The long TTLs of a service with propagation on: only the marker can explain a refusal.
  const store = new VaultAuthStore({ client, changes: marker, tokenCacheTtlSeconds: 300, clock });
  const keyRing = new KeyRing({ source, cacheTtlSeconds: 300, clock, logger: silentLogger });
  const auth = new AuthService({
    store,
    keyRing,
    rotationGraceSeconds: options.rotationGraceSeconds,
    clock,
    logger: silentLogger,
  });
  const poller = new ChangePoller({
    marker,
    keyRing,
    records: store,
    intervalSeconds: options.intervalSeconds ?? 2,
    timers: options.timers,
    clock,
    logger,
  });
  return { name, client, marker, source, store, keyRing, auth, poller };
}

/** Requests by one stack (its namespace) matching `method` and `path`. */
export function requestsBy(
  double: VaultDouble,
  stack: Stack,
  method: string,
  path: string,
): number {
  return double.requests.filter(
    (entry) => entry.namespace === stack.name && entry.method === method && entry.path === path,
  ).length;
}

/** The rejection code of `promise`, or "accepted" when it resolves. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "accepted",
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}
