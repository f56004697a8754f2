#!/usr/bin/env node
/**
 * `node examples/build/examples/web/main.js [--host 127.0.0.1] [--port 8080] [--no-auth]
 * [--env-prefix GOFR]`: the reference HTTP API with auth configured from `<PREFIX>_*`.
 */
import {
  type MainDeps,
  type MainResult,
  runFromCommandLine,
  runServiceMain,
} from "../shared/main.js";
import { isEntryModule } from "../shared/run.js";
import { createWebServer, listenWeb } from "./server.js";

export const WEB_SPEC = {
  name: "gofr-web",
  description:
    "gofr-auth reference HTTP API: /health, /ready, /whoami, /admin/ping, /metrics, /.well-known/jwks.json",
  defaultPort: 8080,
};

/** Parses flags, starts the auth plane and the server; resolves once listening. */
export function main(argv: readonly string[], deps: MainDeps = {}): Promise<MainResult> {
  return runServiceMain(
    argv,
    WEB_SPEC,
    async (serviceAuth, args, logger) => {
      const { app } = await createWebServer({
        auth: serviceAuth.auth,
        secretProvider: serviceAuth.auth ? serviceAuth.secretProvider : undefined,
        metricSources: serviceAuth.auth ? serviceAuth.metricSources : undefined,
        processMetrics: true,
        noAuthReason: serviceAuth.auth ? undefined : serviceAuth.reason,
        jwks: serviceAuth.auth ? serviceAuth.jwks : undefined,
        logger,
      });
      return listenWeb(app, args.host, args.port);
    },
    deps,
  );
}

if (isEntryModule(import.meta.url)) runFromCommandLine(main, WEB_SPEC.name);
