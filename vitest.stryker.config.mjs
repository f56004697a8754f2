/**
 * Vitest config for the mutation run only (stryker.config.mjs). Same tests as
 * vitest.config.ts, minus what cannot see a mutant:
 * - no globalSetup: it compiles dist/ for the tests that run `node dist/...` in a child
 *   process, and a child process never runs Stryker's active mutant;
 * - those tests (test/package.test.ts, test/package/, test/cli/child-process.test.ts,
 *   test/cli/store-location.test.ts, and test/cli/token-input.test.ts, whose last test pipes
 *   a token into the built binary; the CLI is not mutated), `npm start` in a child process
 *   (test/examples/start.test.ts) and the Docker suites (test/docker) are left out;
 * - so is the 2,000-request rotation load test (test/rotation/rotation-under-load.test.ts,
 *   ~30 s a run): it would run for every mutant that survives a module-level ("static")
 *   mutation, and the key ring and provider paths it drives have their own unit tests.
 * - the HS256 -> EdDSA migration test (test/eddsa/migration-e2e.test.ts) runs the built CLI and
 *   services in child processes under steady load, like the fleet test
 *   (test/propagation/fleet-e2e.test.ts).
 * Everything else, in-process example, fault and security suites included, runs.
 */
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [
      ...configDefaults.exclude,
      "test/docker/**",
      "test/package.test.ts",
      "test/package/**",
      "test/cli/child-process.test.ts",
      "test/cli/store-location.test.ts",
      "test/cli/token-input.test.ts",
      "test/examples/start.test.ts",
      "test/rotation/rotation-under-load.test.ts",
      "test/propagation/fleet-e2e.test.ts",
      "test/eddsa/migration-e2e.test.ts",
    ],
    testTimeout: 20_000,
    // Scales the one flood test down to 100,000 labels (test/tokens/unknown-labels.test.ts).
    env: { GOFR_TEST_MUTATION: "1" },
  },
});
