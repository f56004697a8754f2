import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { Logger } from "../../src/log.js";

/** A started service: where it listens and how to stop it. */
export interface RunningService {
  url: string;
  close(): Promise<void>;
}

/** `http://127.0.0.1:8080`, with brackets for IPv6 hosts. */
export function httpUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * SIGINT (Ctrl-C) and SIGTERM (docker stop) close the service once; a second signal
 * while closing exits at once, for the operator who means it.
 */
export function closeOnSignals(service: RunningService, logger: Logger): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn("Second signal while closing: exiting now", { signal });
      process.exit(1);
    }
    closing = true;
    logger.info("Shutting down", { signal });
    service.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error("Shutdown failed", { error: String(error) });
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** `import.meta.url` of the module run by `node <file>`, to tell entry from import. */
export function isEntryModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === moduleUrl;
  } catch {
    return false;
  }
}
