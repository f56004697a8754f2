#!/usr/bin/env node
import { runCli } from "./program.js";

// `gofr-auth --help | head` closes the pipe early: stop quietly, as other CLI tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await runCli(process.argv.slice(2));
