/**
 * `gofr-auth/fastify`: a plugin that decorates `fastify.authenticate` (a preHandler) and
 * `fastify.requireGroups(...)`, and types `request.auth`.
 *
 * ```ts
 * import { gofrAuth } from "gofr-auth/fastify";
 *
 * await app.register(gofrAuth, { auth });
 * app.get("/whoami", { preHandler: app.authenticate }, (req) => req.auth?.toJSON());
 * app.get("/admin", { preHandler: app.authenticate, config: { auth: { groups: ["admin"] } } }, h);
 * app.get("/ops", { preHandler: app.requireGroups("ops") }, h);
 * ```
 *
 * A route with `config.auth` is always guarded: one with no `authenticate` or
 * `requireGroups(...)` in its hooks gets `authenticate` put in front of its preHandlers
 * (also for routes declared before the plugin), so the declaration alone never leaves it
 * open. A misspelled or contradictory `config.auth` stops start-up.
 */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from "fastify";
import fp from "fastify-plugin";
import type { AuthContext } from "../auth-context.js";
import { AuthError } from "../errors.js";
import { type AuthPolicy, createCoreAuthenticator } from "./shared/authenticator.js";
import {
  compileGroupRequirement,
  type GroupRequirementOptions,
  mergeGroupOptions,
} from "./shared/groups.js";
import { authorizationOf } from "./shared/headers.js";
import type { AuthOptions } from "./shared/options.js";
import type { AuthResponse } from "./shared/response.js";
import { pathOf } from "./shared/write-node.js";

export type { AuthEvent, AuthOptions, TokenVerifier } from "./shared/options.js";
export type { AuthErrorBody } from "./shared/response.js";

/**
 * Per-route settings, under the route's `config.auth`. They add to the plugin's groups
 * (and to `requireGroups(...)`'s). Setting it, even to `{}`, makes the route guarded.
 */
export interface RouteAuthConfig extends GroupRequirementOptions {
  /** Overrides the plugin's `optional` for this route. */
  optional?: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by `fastify.authenticate`; null before it runs and in optional mode without a token. */
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    /** preHandler: verifies the bearer token, applies the route's `config.auth`, sets `request.auth`. */
    authenticate: preHandlerAsyncHookHandler;
    /** A preHandler requiring every one of `groups`, plus the route's `config.auth` groups. */
    requireGroups(...groups: string[]): preHandlerAsyncHookHandler;
  }
  interface FastifyContextConfig {
    auth?: RouteAuthConfig;
  }
}

/**
 * Plugin options: the common {@link AuthOptions}. Groups given here apply to every guarded
 * route (one with `preHandler: fastify.authenticate`, `fastify.requireGroups(...)` or a
 * `config.auth`); routes with none of these stay open (`/health`, `/metrics`).
 */
export type FastifyAuthOptions = AuthOptions;

/** Fastify's own `register` options, which it hands to the plugin along with ours. */
const REGISTER_OPTIONS = new Set(["prefix", "logLevel", "logSerializers"]);
/** The hooks in which a guard runs before the handler. */
const GUARD_HOOKS = ["onRequest", "preParsing", "preValidation", "preHandler"] as const;
const ROUTE_CONFIG_KEYS: readonly string[] = ["groups", "allGroups", "anyGroup", "optional"];
/** Set on a route's config once onRoute has seen it (Fastify copies it into the route context). */
const SEEN = Symbol("gofr-auth.route-seen");

type Guard = (config: RouteAuthConfig | undefined) => AuthPolicy | undefined;

async function plugin(fastify: FastifyInstance, pluginOptions: FastifyAuthOptions): Promise<void> {
  const options = Object.fromEntries(
    Object.entries(pluginOptions).filter(([name]) => !REGISTER_OPTIONS.has(name)),
  ) as FastifyAuthOptions;
  const core = createCoreAuthenticator(options);
  // Route configs are fixed at registration: compile each once.
  const policies = new WeakMap<RouteAuthConfig, AuthPolicy>();
  /** Our preHandlers, each with how it turns a route's `config.auth` into a policy. */
  const guards = new WeakMap<object, Guard>();

  const policyFor: Guard = (config) => {
    if (!config) return undefined;
    let policy = policies.get(config);
    if (!policy) {
      policy = {
        requirement: compileGroupRequirement(mergeGroupOptions(options, config)),
        optional: config.optional,
      };
      policies.set(config, policy);
    }
    return policy;
  };

  // Not async functions: Fastify gets the guard's own promise plus one `then`, instead of
  // three nested async functions (each adding a promise and microtask hops per request).
  const run = (
    request: FastifyRequest,
    reply: FastifyReply,
    policy?: AuthPolicy,
  ): Promise<FastifyReply | undefined> =>
    core
      .guard(
        authorizationOf(request.raw),
        { method: request.method, path: pathOf(request.url) },
        policy,
      )
      .then((result) => {
        if (!result.ok) return send(reply, result.response);
        request.auth = result.context;
        return undefined;
      });

  /** A preHandler applying `guard`'s policy for the route being served. */
  const guardHandler = (guard: Guard): preHandlerAsyncHookHandler => {
    const handler: preHandlerAsyncHookHandler = (request, reply) => {
      try {
        return run(request, reply, guard(request.routeOptions.config?.auth));
      } catch (error) {
        // A route config that cannot be compiled (only for routes onRoute did not see): reject.
        return Promise.reject(error);
      }
    };
    guards.set(handler, guard);
    return handler;
  };

  const authenticate = guardHandler(policyFor);

  const requireGroups = (...groups: string[]): preHandlerAsyncHookHandler => {
    if (groups.length === 0) {
      throw new AuthError("invalid_input", "requireGroups() needs at least one group");
    }
    // The route's config.auth groups add to these (never its `optional`: a token is required).
    const base = mergeGroupOptions(options, { groups });
    const basePolicy: AuthPolicy = { requirement: compileGroupRequirement(base), optional: false };
    const perRoute = new WeakMap<RouteAuthConfig, AuthPolicy>();
    return guardHandler((config) => {
      if (!config) return basePolicy;
      let policy = perRoute.get(config);
      if (!policy) {
        policy = {
          requirement: compileGroupRequirement(mergeGroupOptions(base, config)),
          optional: false,
        };
        perRoute.set(config, policy);
      }
      return policy;
    });
  };

  // A route with `config.auth` declares that it is protected. Without one of our guards in
  // its hooks it would be silently open, so it gets `authenticate` in front of its
  // preHandlers. Its config is also checked and compiled here, so a mistake stops start-up.
  fastify.addHook("onRoute", (route) => {
    const config: unknown = route.config?.auth;
    if (config === undefined) return;
    checkRouteConfig(config, `${String(route.method)} ${route.url}`);
    (route.config as Record<symbol, unknown>)[SEEN] = true;
    const present = GUARD_HOOKS.flatMap((hook) => hooksOf<object>(route[hook])).filter((handler) =>
      guards.has(handler),
    );
    for (const handler of present) guards.get(handler)?.(config);
    if (present.length === 0) {
      policyFor(config);
      route.preHandler = [guardHandler(policyFor), ...hooksOf(route.preHandler)];
    }
  });

  // Routes declared before this plugin never reached onRoute. If there are any, check each
  // request's route instead: one with an unseen config.auth is guarded here.
  if (fastify.printRoutes() !== "(empty tree)") {
    fastify.addHook("onRequest", (request, reply) => {
      const config = request.routeOptions.config as { auth?: unknown; [SEEN]?: true } | undefined;
      if (config?.auth === undefined || config[SEEN]) return Promise.resolve(undefined);
      return authenticate.call(fastify, request, reply);
    });
  }

  fastify.decorateRequest("auth", null);
  fastify.decorate("authenticate", authenticate);
  fastify.decorate("requireGroups", requireGroups);
}

/** A route hook option as a list (Fastify takes one function or an array). */
function hooksOf<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

function checkRouteConfig(config: unknown, route: string): asserts config is RouteAuthConfig {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new TypeError(
      `gofr-auth: ${route}: config.auth must be an object such as { groups: ["admin"] } (or {})`,
    );
  }
  for (const key of Object.keys(config)) {
    if (!ROUTE_CONFIG_KEYS.includes(key)) {
      throw new TypeError(
        `gofr-auth: ${route}: unknown config.auth option '${key}' (known: ${ROUTE_CONFIG_KEYS.join(", ")})`,
      );
    }
  }
  const { optional } = config as RouteAuthConfig;
  if (optional !== undefined && typeof optional !== "boolean") {
    throw new TypeError(`gofr-auth: ${route}: config.auth.optional must be true or false`);
  }
}

function send(reply: FastifyReply, response: AuthResponse): FastifyReply {
  return reply
    .code(response.status)
    .headers(response.headers)
    .type("application/json; charset=utf-8")
    .send(response.body);
}

/** The plugin. Register it once per app (it is not encapsulated: decorators are shared). */
export const gofrAuth = fp(plugin, { name: "gofr-auth", fastify: "5.x" });
export default gofrAuth;

/** `request.auth`, or throws if `authenticate` did not run (or found no token in optional mode). */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) {
    throw new AuthError("token_missing", "No authenticated context on this request", {
      hint: "add preHandler: fastify.authenticate to the route",
    });
  }
  return request.auth;
}
