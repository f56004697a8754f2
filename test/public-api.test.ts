/**
 * The package root (`gofr-auth`) as the source builds it: each folder's public API reaches
 * the root as the very same objects (no wrapper that could skip a check), and nothing made
 * for tests is exported from it. `createTestAuthService` and `TEST_SECRET` (a well-known
 * signing secret) live only in `gofr-auth/testing`; a production import must not reach them.
 */
import { describe, expect, it } from "vitest";
import * as adapters from "../src/adapters/shared/index.js";
import * as root from "../src/index.js";
import * as secrets from "../src/secrets/index.js";
import * as sqlite from "../src/sqlite/index.js";
import * as store from "../src/store/index.js";
import * as testing from "../src/testing/index.js";
import * as tokens from "../src/tokens/index.js";
import * as vault from "../src/vault/index.js";

/** The root's exports by name. */
const rootExports = new Map<string, unknown>(Object.entries(root));

describe("the package root", () => {
  it("re-exports each folder's API as the same objects", () => {
    for (const module of [secrets, sqlite, store, tokens, vault]) {
      for (const [name, value] of Object.entries(module)) {
        expect(rootExports.get(name), name).toBe(value);
      }
    }
  });

  it("has the classes the README imports", () => {
    for (const name of ["AuthService", "JwtSecretProvider", "MemoryAuthStore", "TokenService"]) {
      expect(typeof rootExports.get(name), name).toBe("function");
    }
    expect(typeof root.resolveAuthConfig).toBe("function");
  });

  it("exports nothing from gofr-auth/testing", () => {
    const exported = new Set<unknown>(rootExports.values());
    for (const [name, value] of Object.entries(testing)) {
      expect(exported.has(value), `${name} leaked into the root`).toBe(false);
    }
    expect(rootExports.has("TEST_SECRET")).toBe(false);
  });
});

describe("the adapters' shared building blocks", () => {
  it("export the core and the response mapping for other frameworks", () => {
    expect(typeof adapters.createCoreAuthenticator).toBe("function");
    expect(typeof adapters.toAuthResponse).toBe("function");
    expect(typeof adapters.readBearerToken).toBe("function");
    expect(adapters.DEFAULT_RETRY_AFTER_SECONDS).toBeGreaterThan(0);
  });
});
