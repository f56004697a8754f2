import { describe, expect, it } from "vitest";
import { normalizePrefix, readAuthEnv, variableNames } from "../../src/config/env.js";
import type { AuthError } from "../../src/errors.js";

function errorOf(env: Record<string, string>, prefix = "GOFR_DIG"): AuthError {
  try {
    readAuthEnv(prefix, env);
  } catch (error) {
    return error as AuthError;
  }
  throw new Error("expected readAuthEnv to throw");
}

describe("readAuthEnv", () => {
  it("applies the canonical defaults, whatever the service prefix", () => {
    const settings = readAuthEnv("GOFR_DIG", {});
    expect(settings).toEqual({
      prefix: "GOFR_DIG",
      noAuth: false,
      vault: undefined,
      storeFile: "./.gofr-auth/auth.db",
      pathPrefix: "gofr/auth",
      audience: "gofr-api",
      issuer: "gofr-auth",
      trustedIssuers: undefined,
      secretTtlSeconds: 300,
      tokenCacheTtlSeconds: 30,
      propagationSeconds: 2,
      rotationGraceSeconds: 0,
      secretSource: "store",
      strictIssuerKeys: false,
      acceptSharedKey: true,
      allowNonCanonical: false,
      issuerAlgorithms: undefined,
      transitMount: "transit",
    });
  });

  it("reads every variable with the service prefix", () => {
    const settings = readAuthEnv("gofr-dig", {
      GOFR_DIG_VAULT_URL: "https://vault.internal:8200/",
      GOFR_DIG_VAULT_ROLE_ID: "role",
      GOFR_DIG_VAULT_SECRET_ID: "secret-id",
      GOFR_DIG_VAULT_CREDS_FILE: "/tmp/creds.json",
      GOFR_DIG_VAULT_NAMESPACE: "team-a",
      GOFR_DIG_VAULT_MOUNT: "kv",
      GOFR_DIG_VAULT_CACERT: "/etc/ca.pem",
      GOFR_DIG_VAULT_TIMEOUT: "10",
      GOFR_DIG_AUTH_STORE: "/var/lib/auth.db",
      GOFR_DIG_ISSUER: "gofr-dig",
      GOFR_DIG_TRUSTED_ISSUERS: "gofr-auth, gofr-dig",
      GOFR_DIG_JWT_SECRET_TTL: "60",
      GOFR_DIG_ROTATION_GRACE: "3600",
      GOFR_DIG_NO_AUTH: "no",
      GOFR_VAULT_URL: "http://ignored-other-prefix:8200",
    });
    expect(settings.vault).toEqual({
      url: "https://vault.internal:8200",
      token: undefined,
      roleId: "role",
      secretId: "secret-id",
      credsFile: "/tmp/creds.json",
      namespace: "team-a",
      mount: "kv",
      caCertFile: "/etc/ca.pem",
      timeoutSeconds: 10,
    });
    expect(settings).toMatchObject({
      storeFile: "/var/lib/auth.db",
      issuer: "gofr-dig",
      trustedIssuers: ["gofr-auth", "gofr-dig"],
      secretTtlSeconds: 60,
      rotationGraceSeconds: 3600,
      noAuth: false,
    });
    expect(readAuthEnv("GOFR", { GOFR_VAULT_URL: "http://v:8200" }).vault).toMatchObject({
      credsFile: "/run/secrets/vault_creds",
      mount: "secret",
      timeoutSeconds: 5,
    });
  });

  it("each invalid value names the variable, the problem and an example", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { GOFR_DIG_VAULT_URL: "vault:8200" },
        /GOFR_DIG_VAULT_URL: .*http.*got "vault:8200".*e\.g\. http:\/\/vault:8200/,
      ],
      [
        { GOFR_DIG_NO_AUTH: "maybe" },
        /GOFR_DIG_NO_AUTH: must be a boolean \(got "maybe"\); e\.g\. 0/,
      ],
      [{ GOFR_DIG_JWT_SECRET_TTL: "-5" }, /GOFR_DIG_JWT_SECRET_TTL: .*got "-5".*e\.g\. 300/],
      [{ GOFR_DIG_JWT_SECRET_TTL: "5m" }, /GOFR_DIG_JWT_SECRET_TTL: .*got "5m"/],
      [{ GOFR_DIG_VAULT_TIMEOUT: "0" }, /GOFR_DIG_VAULT_TIMEOUT: .*e\.g\. 5/],
      [
        { GOFR_DIG_VAULT_PATH_PREFIX: "/gofr/auth/" },
        /GOFR_DIG_VAULT_PATH_PREFIX: must be a KV path.*e\.g\. gofr\/auth/,
      ],
      [
        { GOFR_DIG_ISSUER: "Gofr Dig" },
        /GOFR_DIG_ISSUER: must be a lower-case name.*e\.g\. gofr-dig/,
      ],
      [
        { GOFR_DIG_TRUSTED_ISSUERS: " , " },
        /GOFR_DIG_TRUSTED_ISSUERS: .*e\.g\. gofr-auth,gofr-dig/,
      ],
      [{ GOFR_DIG_ROTATION_GRACE: "x" }, /GOFR_DIG_ROTATION_GRACE: /],
      [
        { GOFR_DIG_SECRET_SOURCE: "file" },
        /GOFR_DIG_SECRET_SOURCE: must be store or env.*e\.g\. store/,
      ],
      [{ GOFR_DIG_VAULT_ROLE_ID: "r" }, /AppRole needs both/],
      [
        { GOFR_DIG_VAULT_TOKEN: "t", GOFR_DIG_VAULT_ROLE_ID: "r", GOFR_DIG_VAULT_SECRET_ID: "s" },
        /one way to log in to Vault, not both/,
      ],
    ];
    for (const [env, pattern] of cases) {
      const error = errorOf(env);
      expect(error.code, JSON.stringify(env)).toBe("config_invalid");
      expect(error.message, JSON.stringify(env)).toMatch(pattern);
    }
  });

  it("reports all problems at once", () => {
    const error = errorOf({ GOFR_DIG_VAULT_URL: "nope", GOFR_DIG_JWT_SECRET_TTL: "x" });
    expect(error.message).toContain("GOFR_DIG_VAULT_URL");
    expect(error.message).toContain("GOFR_DIG_JWT_SECRET_TTL");
    expect(error.details.problems).toHaveLength(2);
  });

  it("never echoes a Vault token or secret id in an error", () => {
    const error = errorOf({
      GOFR_DIG_VAULT_TOKEN: "hvs.super-secret-token",
      GOFR_DIG_VAULT_ROLE_ID: "r",
      GOFR_DIG_VAULT_SECRET_ID: "secret-id-value",
    });
    expect(error.message).not.toContain("hvs.super-secret-token");
    expect(error.message).not.toContain("secret-id-value");
  });

  it("rejects the path prefix and audience derived from the service prefix", () => {
    for (const prefix of ["gofr/dig/auth", "gofr-dig/auth", "gofr_dig/auth"]) {
      const error = errorOf({ GOFR_DIG_VAULT_PATH_PREFIX: prefix });
      expect(error.message).toMatch(/derived from the service prefix.*e\.g\. gofr\/auth/);
    }
    for (const audience of ["gofr_dig-api", "gofr-dig-api"]) {
      const error = errorOf({ GOFR_DIG_AUDIENCE: audience });
      expect(error.message).toMatch(/GOFR_DIG_AUDIENCE: .*derived.*e\.g\. gofr-api/);
    }
  });

  it("allows a deliberate non-canonical plane only when asked", () => {
    const settings = readAuthEnv("GOFR_DIG", {
      GOFR_DIG_VAULT_PATH_PREFIX: "gofr/dig/auth",
      GOFR_DIG_AUDIENCE: "gofr_dig-api",
      GOFR_DIG_ALLOW_NONCANONICAL: "1",
    });
    expect(settings).toMatchObject({ pathPrefix: "gofr/dig/auth", audience: "gofr_dig-api" });
  });

  it("reads NO_AUTH as a boolean", () => {
    expect(readAuthEnv("GOFR", { GOFR_NO_AUTH: "1" }).noAuth).toBe(true);
    expect(readAuthEnv("GOFR", { GOFR_NO_AUTH: "TRUE" }).noAuth).toBe(true);
    expect(readAuthEnv("GOFR", { GOFR_NO_AUTH: "0" }).noAuth).toBe(false);
  });

  it("normalises prefixes and lists the variables it reads", () => {
    expect(normalizePrefix("gofr-dig_")).toBe("GOFR_DIG");
    expect(() => normalizePrefix("1abc")).toThrow(
      expect.objectContaining({ code: "config_invalid" }),
    );
    expect(variableNames("gofr")).toContain("GOFR_VAULT_PATH_PREFIX");
  });
});
