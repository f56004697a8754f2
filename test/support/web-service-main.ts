/**
 * Runs the reference web service (examples/web/main.ts) as `node main.js` would, for tests
 * that start it in its own process through vite-node (from the sources, no build): under
 * vite-node the entry-module check in main.ts does not see itself as the entry, so this
 * file calls the same `runFromCommandLine` with the arguments given after `--`.
 */
import { runFromCommandLine } from "../../examples/shared/main.js";
import { main, WEB_SPEC } from "../../examples/web/main.js";

runFromCommandLine(main, WEB_SPEC.name);
