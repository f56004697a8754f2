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
import type { AuthOptions } from "./shared/options.js";
import type { AuthResponse } from "./shared/response.js";
import { pathOf } from "./shared/write-node.js";

export type { AuthEvent, AuthOptions, TokenVerifier } from "./shared/options.js";
export type { AuthErrorBody } from "./shared/response.js";

/** Per-route settings, under the route's `config.auth`. They add to the plugin's groups. */
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
    /** A preHandler that authenticates and requires every one of `groups`. */
    requireGroups(...groups: string[]): preHandlerAsyncHookHandler;
  }
  interface FastifyContextConfig {
    auth?: RouteAuthConfig;
  }
}

/** Plugin options: the common {@link AuthOptions}; groups given here apply to every route. */
export type FastifyAuthOptions = AuthOptions;

async function plugin(fastify: FastifyInstance, options: FastifyAuthOptions): Promise<void> {
  const core = createCoreAuthenticator(options);
  // Route configs are fixed at registration: compile each once, on first use.
  const policies = new WeakMap<RouteAuthConfig, AuthPolicy>();

  const policyFor = (config: RouteAuthConfig | undefined): AuthPolicy | undefined => {
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
        request.headers.authorization,
        { method: request.method, path: pathOf(request.url) },
        policy,
      )
      .then((result) => {
        if (!result.ok) return send(reply, result.response);
        request.auth = result.context;
        return undefined;
      });

  const authenticate: preHandlerAsyncHookHandler = (request, reply) => {
    try {
      return run(request, reply, policyFor(request.routeOptions.config?.auth));
    } catch (error) {
      // policyFor throws for a route config that cannot be compiled: reject, as before.
      return Promise.reject(error);
    }
  };

  const requireGroups = (...groups: string[]): preHandlerAsyncHookHandler => {
    if (groups.length === 0) {
      throw new AuthError("invalid_input", "requireGroups() needs at least one group");
    }
    const policy: AuthPolicy = {
      requirement: compileGroupRequirement(mergeGroupOptions(options, { groups })),
      optional: false,
    };
    return (request, reply) => run(request, reply, policy);
  };

  fastify.decorateRequest("auth", null);
  fastify.decorate("authenticate", authenticate);
  fastify.decorate("requireGroups", requireGroups);
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
