/**
 * StrykerJS mutation testing of the security core: `npm run test:mutation`.
 * See docs/testing.md (how long it takes, the score, the accepted survivors).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    "src/tokens/**/*.ts",
    "src/auth-service.ts",
    "src/adapters/shared/**/*.ts",
    "src/secrets/provider.ts",
    "src/secrets/keyring.ts",
    "src/store/**/*.ts",
    // Re-export barrels hold no logic.
    "!src/**/index.ts",
  ],
  testRunner: "vitest",
  vitest: { configFile: "vitest.stryker.config.mjs" },
  checkers: ["typescript"],
  // src/ only: the checker answers "does the mutant compile", and the library's own config
  // keeps a half-edited test file elsewhere from failing the whole run.
  tsconfigFile: "tsconfig.build.json",
  coverageAnalysis: "perTest",
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  thresholds: { high: 95, low: 90, break: 90 },
  // Stryker starts ceil(3/2) type-checkers and one runner; once every mutant is checked the
  // checkers' slots become runners: three on two cores, as the tests wait on loopback I/O.
  concurrency: 3,
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  clearTextReporter: { reportMutants: false, reportTests: false, reportScoreTable: true },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  // Not read by the tests that run (see vitest.stryker.config.mjs): less to copy. docs/ and
  // docker/ stay: tests read the policies and the docs they check.
  ignorePatterns: ["/dist", "/coverage", "/.gofr-auth", "*.log"],
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
