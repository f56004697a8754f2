/**
 * The reference HTTP API (Fastify), protected with `gofr-auth/fastify`.
 *
 * - `GET /health`     liveness, no auth
 * - `GET /ready`      200 when the signing secret can be loaded, else 503 + Retry-After
 * - `GET /whoami`     any valid token: its context (never the token)
 * - `GET /admin/ping` group `admin`
 * - `GET /metrics`    Prometheus text from prom-client: the library's metrics (docs/metrics.md),
 *                     HTTP requests (no auth; bind to a private interface)
 * - `GET /.well-known/jwks.json`  the EdDSA issuers' public keys (no auth; see jwks.ts)
 */
import Fastify, { type FastifyInstance } from "fastify";
import { gofrAuth, type RouteAuthConfig } from "../../src/adapters/fastify.js";
import type { AuthService } from "../../src/auth-service.js";
import type { PublicKeySet } from "../../src/eddsa/public-key-set.js";
import { isAuthError } from "../../src/errors.js";
import { type Logger, silentLogger } from "../../src/log.js";
import type { AuthMetricSources } from "../../src/metrics.js";
import type { JwtSecretProvider } from "../../src/secrets/provider.js";
import { jwksRoute } from "./jwks.js";
import { WebMetrics } from "./metrics.js";

export interface WebServerOptions {
  /** The auth plane; `null` serves every route WITHOUT authentication (`--no-auth`). */
  auth: AuthService | null;
  /**
   * Whose readiness to report (its stats are published too). Default: the service's
   * shared-secret provider.
   */
  secretProvider?: JwtSecretProvider;
  /**
   * The library stats `/metrics` publishes. Default: the service's key ring and store. Pass
   * the change poller here (`propagation`) to publish its stats too.
   */
  metricSources?: Omit<AuthMetricSources, "verify">;
  /** Publish prom-client's default process metrics too. Default false. */
  processMetrics?: boolean;
  /** Why auth is off, shown by `/whoami` when `auth` is null. */
  noAuthReason?: string;
  logger?: Logger;
  /** Skip the token-store check on each request (see the adapters' `stateless`). */
  stateless?: boolean;
  /** `Retry-After` for 503s. Default 5. */
  retryAfterSeconds?: number;
  /**
   * What `/.well-known/jwks.json` publishes: the EdDSA issuers' public keys
   * (`resolveAuthConfig`'s `publicKeys` and `eddsaIssuers`). Without it, or with no issuer,
   * the route answers 404.
   */
  jwks?: { publicKeys: PublicKeySet; issuers: readonly string[] };
}

export interface WebServer {
  app: FastifyInstance;
  metrics: WebMetrics;
}

/** Builds the app (routes registered, not listening). */
export async function createWebServer(options: WebServerOptions): Promise<WebServer> {
  const logger = options.logger ?? silentLogger;
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const provider = options.secretProvider ?? options.auth?.tokens.secretProvider;
  const metrics = new WebMetrics({
    authEnabled: options.auth !== null,
    sources: options.auth ? metricSources(options.auth, options, provider) : undefined,
    processMetrics: options.processMetrics,
  });
  const app = Fastify({ logger: false });

  app.addHook("onResponse", async (request, reply) => {
    metrics.request(request.routeOptions.url ?? "(unmatched)", reply.statusCode);
  });

  const { auth } = options;
  if (auth) {
    await app.register(gofrAuth, {
      auth,
      logger,
      stateless: options.stateless,
      retryAfterSeconds: options.retryAfterSeconds,
      audit: metrics.audit,
    });
  }
  /** Route options for a guarded route; none at all when auth is off. */
  const guarded = (config: RouteAuthConfig = {}) =>
    auth ? { preHandler: app.authenticate, config: { auth: config } } : {};

  app.get("/health", async () => ({ status: "ok" }));

  app.get("/ready", async (_request, reply) => {
    if (!auth || !provider) return { status: "ready", auth: "disabled" };
    try {
      await provider.get();
      return { status: "ready" };
    } catch (error) {
      const code = isAuthError(error) ? error.code : "internal_error";
      logger.warn("Not ready: the signing secret cannot be loaded", {
        code,
        error: isAuthError(error) ? error.message : String(error),
      });
      return reply
        .code(503)
        .header("retry-after", retryAfter)
        .send({ status: "unavailable", code });
    }
  });

  app.get("/whoami", guarded(), async (request) => {
    if (!auth) return { authenticated: false, reason: options.noAuthReason ?? "auth disabled" };
    return { authenticated: true, ...request.auth?.toJSON() };
  });

  app.get("/admin/ping", guarded({ groups: ["admin"] }), async (request) => ({
    pong: true,
    subject: request.auth?.subject ?? null,
  }));

  app.get("/metrics", async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.render()),
  );

  app.get("/.well-known/jwks.json", jwksRoute(options.jwks, retryAfter, logger));

  return { app, metrics };
}

/** The sources given, else the service's key ring and store; plus the readiness provider. */
function metricSources(
  auth: AuthService,
  options: WebServerOptions,
  provider: JwtSecretProvider | undefined,
): Omit<AuthMetricSources, "verify"> {
  const sources = options.metricSources ?? { keyRing: auth.tokens.keyRing, store: auth.store };
  if (!provider) return sources;
  return { ...sources, providers: [...(sources.providers ?? []), provider] };
}

/** Listens and resolves once bound, with the port actually bound (for `--port 0`). */
export async function listenWeb(
  app: FastifyInstance,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  await app.listen({ host, port });
  const address = app.server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () => app.close(),
  };
}
