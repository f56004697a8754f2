/**
 * docker/compose.yml, docker/Dockerfile, docker/vault-init.sh and the policies, checked as
 * files (no Docker engine runs here). Each check first passes on the real stack, then is
 * shown to fail on a copy broken in the way it guards against.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { checkPolicies } from "./policies.js";
import {
  type ComposeService,
  checkAuthSettings,
  checkCredsFiles,
  checkDependsOn,
  checkDockerfile,
  checkEnvNames,
  checkNoLoopback,
  checkReferencedFiles,
  checkRuntimeDependencies,
  checkScriptSecrecy,
  checkSecretEnv,
  checkSources,
  checkVaultUrls,
  dockerIgnored,
  envOf,
  loadStack,
  promotedPackages,
  REPO_ROOT,
  runtimeImports,
  type Stack,
  scriptRoles,
} from "./stack.js";

const CHECKS = {
  checkSources,
  checkDependsOn,
  checkNoLoopback,
  checkVaultUrls,
  checkAuthSettings,
  checkSecretEnv,
  checkEnvNames,
  checkReferencedFiles,
  checkCredsFiles,
  checkPolicies,
  checkScriptSecrecy,
  checkDockerfile,
  checkRuntimeDependencies,
};
type CheckName = keyof typeof CHECKS;

const stack = loadStack();

/** A deep copy of the stack with `change` applied. */
function broken(change: (copy: Stack) => void): Stack {
  const copy = structuredClone(stack);
  change(copy);
  return copy;
}

function service(copy: Stack, name: string): ComposeService {
  const found = copy.compose.services[name];
  if (!found) throw new Error(`no service ${name} in compose.yml`);
  return found;
}

function env(copy: Stack, name: string): Record<string, string | number | boolean | null> {
  const environment = service(copy, name).environment;
  if (!environment || Array.isArray(environment)) throw new Error(`${name}: env is not a map`);
  return environment;
}

describe("the compose stack as it is", () => {
  it("has the five services", () => {
    expect(Object.keys(stack.compose.services).sort()).toEqual(
      ["auth-init", "mcp", "vault", "vault-init", "web"].sort(),
    );
  });

  it.each(Object.keys(CHECKS) as CheckName[])("%s finds nothing", (name) => {
    expect(CHECKS[name](stack)).toEqual([]);
  });

  it("vault-init.sh parses (bash -n and sh -n)", () => {
    for (const shell of ["bash", "sh"]) {
      const result = spawnSync(shell, ["-n", join(REPO_ROOT, "docker/vault-init.sh")], {
        encoding: "utf8",
      });
      expect(result.error).toBeUndefined();
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    }
  });

  it("bash -n would catch a syntax error (the probe itself can fail)", () => {
    const dir = mkdtempSync(join(tmpdir(), "gofr-sh-"));
    try {
      const file = join(dir, "bad.sh");
      execFileSync("sh", ["-c", `printf 'if true; then\\n  echo x\\n' > ${file}`]);
      expect(spawnSync("bash", ["-n", file]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the services use the roles vault-init creates, each its own", () => {
    expect(scriptRoles(stack.vaultInit).map((r) => r.role)).toEqual([
      "gofr-web",
      "gofr-mcp",
      "gofr-admin-control",
    ]);
  });

  it("each service's policy file is what `gofr-auth policy` prints for its issuer", async () => {
    // docker/policies/gofr-<service>.hcl is generated, never edited by hand: this keeps the
    // file and the command in step (regenerate with the command in the file's header).
    for (const [name, issuer] of [
      ["web", "gofr-web"],
      ["mcp", "gofr-mcp"],
    ] as const) {
      expect(envOf(service(stack, name))[`GOFR_${name.toUpperCase()}_ISSUER`]).toBe(issuer);
      const out: string[] = [];
      const code = await runCli(["policy", "--issuer", issuer, "--migrating"], {
        env: {},
        io: { stdout: (text) => out.push(text), stderr: () => {} },
      });
      expect(code).toBe(0);
      expect(stack.policies[`${issuer}.hcl`]).toBe(out.join(""));
    }
  });

  it("the reference services need fastify, prom-client and the MCP SDK beyond production dependencies", () => {
    const needed = runtimeImports(REPO_ROOT, ["examples/web/main.ts", "examples/mcp/main.ts"]);
    const dependencies = Object.keys(stack.packageJson.dependencies ?? {});
    expect([...needed].filter((name) => !dependencies.includes(name)).sort()).toEqual(
      ["@modelcontextprotocol/sdk", "fastify", "prom-client"].sort(),
    );
    expect(promotedPackages(stack.dockerfile).sort()).toEqual(
      ["@modelcontextprotocol/sdk", "fastify", "prom-client"].sort(),
    );
  });

  it("promote-dev-deps.mjs moves exactly the named packages, keeping their ranges", () => {
    const dir = mkdtempSync(join(tmpdir(), "gofr-promote-"));
    try {
      copyFileSync(join(REPO_ROOT, "package.json"), join(dir, "package.json"));
      const script = join(REPO_ROOT, "docker/promote-dev-deps.mjs");
      const promoted = promotedPackages(stack.dockerfile);
      const run = spawnSync("node", [script, ...promoted], { cwd: dir, encoding: "utf8" });
      expect(run.status).toBe(0);
      const after = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      const before = stack.packageJson;
      for (const name of promoted) {
        expect(after.dependencies[name]).toBe(before.devDependencies?.[name]);
        expect(after.devDependencies[name]).toBeUndefined();
      }
      expect(Object.keys(after.dependencies).length).toBe(
        Object.keys(before.dependencies ?? {}).length + promoted.length,
      );
      const unknown = spawnSync("node", [script, "no-such-package"], { cwd: dir });
      expect(unknown.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the lockfile pins every promoted package (npm ci --omit=dev installs it)", () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string }>;
    };
    for (const name of promotedPackages(stack.dockerfile)) {
      expect(lock.packages[`node_modules/${name}`]?.version).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  it(".dockerignore keeps the build inputs and drops the rest", () => {
    for (const path of ["package.json", "src/index.ts", "examples/web/main.ts"]) {
      expect(dockerIgnored(stack.dockerignore, path)).toBe(false);
    }
    expect(dockerIgnored(stack.dockerignore, "docker/promote-dev-deps.mjs")).toBe(false);
    for (const path of ["node_modules/zod/package.json", "dist/index.js", ".gofr-auth/auth.db"]) {
      expect(dockerIgnored(stack.dockerignore, path)).toBe(true);
    }
    expect(dockerIgnored(stack.dockerignore, "examples/build/examples/web/main.js")).toBe(true);
    expect(dockerIgnored(stack.dockerignore, "docker/compose.yml")).toBe(true);
  });
});

interface Mutation {
  what: string;
  check: CheckName;
  expect: string;
  change: (copy: Stack) => void;
}

const MUTATIONS: Mutation[] = [
  {
    what: "a service image without a version tag",
    check: "checkSources",
    expect: "not pinned",
    change: (c) => {
      service(c, "vault").image = "hashicorp/vault:latest";
    },
  },
  {
    what: "a build with a missing Dockerfile",
    check: "checkSources",
    expect: "Dockerfile docker/Dockerfile.gone missing",
    change: (c) => {
      service(c, "web").build = {
        context: "..",
        dockerfile: "docker/Dockerfile.gone",
        target: "web",
      };
    },
  },
  {
    what: "a build target that is no stage",
    check: "checkSources",
    expect: "not a stage",
    change: (c) => {
      service(c, "mcp").build = { context: "..", dockerfile: "docker/Dockerfile", target: "mpc" };
    },
  },
  {
    what: "a dependency on a one-shot that is only started",
    check: "checkDependsOn",
    expect: "mcp: depends_on vault-init with service_started",
    change: (c) => {
      service(c, "mcp").depends_on = {
        vault: { condition: "service_healthy" },
        "vault-init": { condition: "service_started" },
        "auth-init": { condition: "service_completed_successfully" },
      };
    },
  },
  {
    what: "a dependency on Vault that does not wait for health",
    check: "checkDependsOn",
    expect: "vault-init: depends_on vault with service_started",
    change: (c) => {
      service(c, "vault-init").depends_on = { vault: { condition: "service_started" } };
    },
  },
  {
    what: "a dependency on a service that does not exist",
    check: "checkDependsOn",
    expect: "which is not a service",
    change: (c) => {
      service(c, "web").depends_on = {
        vault: { condition: "service_healthy" },
        "vault-init": { condition: "service_completed_successfully" },
        "auth-init": { condition: "service_completed_successfully" },
        "vault-bootstrap": { condition: "service_completed_successfully" },
      };
    },
  },
  {
    what: "a service that does not wait for auth-init",
    check: "checkDependsOn",
    expect: "web: must depend on auth-init",
    change: (c) => {
      service(c, "web").depends_on = {
        vault: { condition: "service_healthy" },
        "vault-init": { condition: "service_completed_successfully" },
      };
    },
  },
  {
    what: "localhost in a service's env",
    check: "checkNoLoopback",
    expect: "web: GOFR_WEB_VAULT_URL=http://localhost:8200",
    change: (c) => {
      env(c, "web").GOFR_WEB_VAULT_URL = "http://localhost:8200";
    },
  },
  {
    what: "127.0.0.1 in vault-init's env",
    check: "checkNoLoopback",
    expect: "vault-init: VAULT_ADDR=http://127.0.0.1:8200",
    change: (c) => {
      env(c, "vault-init").VAULT_ADDR = "http://127.0.0.1:8200";
    },
  },
  {
    what: "a Vault URL naming no service",
    check: "checkVaultUrls",
    expect: "mcp: GOFR_MCP_VAULT_URL=http://hashicorp-vault:8200",
    change: (c) => {
      env(c, "mcp").GOFR_MCP_VAULT_URL = "http://hashicorp-vault:8200";
    },
  },
  {
    what: "no explicit path prefix",
    check: "checkAuthSettings",
    expect: "web: GOFR_WEB_VAULT_PATH_PREFIX must be gofr/auth explicitly (got unset)",
    change: (c) => {
      delete env(c, "web").GOFR_WEB_VAULT_PATH_PREFIX;
    },
  },
  {
    what: "the per-service path prefix of the Python fleet",
    check: "checkAuthSettings",
    expect: "derived from the service prefix",
    change: (c) => {
      env(c, "mcp").GOFR_MCP_VAULT_PATH_PREFIX = "gofr/mcp/auth";
    },
  },
  {
    what: "a per-service audience",
    check: "checkAuthSettings",
    expect: "GOFR_WEB_AUDIENCE=gofr_web-api",
    change: (c) => {
      env(c, "web").GOFR_WEB_AUDIENCE = "gofr_web-api";
    },
  },
  {
    what: "--no-auth",
    check: "checkAuthSettings",
    expect: "web: runs with --no-auth",
    change: (c) => {
      service(c, "web").command = ["--host", "0.0.0.0", "--port", "8080", "--no-auth"];
    },
  },
  {
    what: "NO_AUTH in the env",
    check: "checkAuthSettings",
    expect: "mcp: GOFR_MCP_NO_AUTH turns auth off",
    change: (c) => {
      env(c, "mcp").GOFR_MCP_NO_AUTH = "1";
    },
  },
  {
    what: "a service on the default host 127.0.0.1",
    check: "checkAuthSettings",
    expect: "mcp: must listen on --host 0.0.0.0",
    change: (c) => {
      service(c, "mcp").command = ["--port", "8081", "--env-prefix", "GOFR_MCP"];
    },
  },
  {
    what: "a port that is not published",
    check: "checkAuthSettings",
    expect: "web: --port 9090 is not published",
    change: (c) => {
      service(c, "web").command = [
        "--host",
        "0.0.0.0",
        "--port",
        "9090",
        "--env-prefix",
        "GOFR_WEB",
      ];
    },
  },
  {
    what: "a literal root token",
    check: "checkSecretEnv",
    expect: "vault: VAULT_DEV_ROOT_TOKEN_ID has a literal value",
    change: (c) => {
      env(c, "vault").VAULT_DEV_ROOT_TOKEN_ID = "root";
    },
  },
  {
    what: "a root token with a default",
    check: "checkSecretEnv",
    expect: "vault-init: VAULT_TOKEN has a literal value or a default",
    change: (c) => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and compose syntax
      env(c, "vault-init").VAULT_TOKEN = "${VAULT_DEV_ROOT_TOKEN:-dev-only-token}";
    },
  },
  {
    what: "a literal JWT_SECRET_KEY",
    check: "checkSecretEnv",
    expect: "web: JWT_SECRET_KEY has a literal value",
    change: (c) => {
      env(c, "web").JWT_SECRET_KEY = "a-literal-value-that-must-never-be-here";
    },
  },
  {
    what: "the root token handed to a service",
    check: "checkSecretEnv",
    expect: "auth-init: GOFR_VAULT_TOKEN: services log in with AppRole files",
    change: (c) => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and compose syntax
      env(c, "auth-init").GOFR_VAULT_TOKEN = "${VAULT_DEV_ROOT_TOKEN:?set it}";
    },
  },
  {
    what: "a variable name env.ts does not read",
    check: "checkEnvNames",
    expect: "web: GOFR_WEB_VAULT_CRED_FILE is not read by src/config/env.ts",
    change: (c) => {
      env(c, "web").GOFR_WEB_VAULT_CRED_FILE = "/run/gofr-secrets/gofr-web.json";
    },
  },
  {
    what: "a variable for another prefix",
    check: "checkEnvNames",
    expect: "mcp: GOFR_VAULT_PATH_PREFIX is not read",
    change: (c) => {
      env(c, "mcp").GOFR_VAULT_PATH_PREFIX = "gofr/auth";
    },
  },
  {
    what: "a vault-init variable the script ignores",
    check: "checkEnvNames",
    expect: "vault-init: CREDS_DIRECTORY is not read by vault-init.sh",
    change: (c) => {
      env(c, "vault-init").CREDS_DIRECTORY = "/run/gofr-secrets";
    },
  },
  {
    what: "vault-init without VAULT_TOKEN",
    check: "checkEnvNames",
    expect: "vault-init.sh requires VAULT_TOKEN",
    change: (c) => {
      delete env(c, "vault-init").VAULT_TOKEN;
    },
  },
  {
    what: "a bind mount of a missing folder",
    check: "checkReferencedFiles",
    expect: "bind mount source ./policy does not exist",
    change: (c) => {
      service(c, "vault-init").volumes = [
        "./vault-init.sh:/gofr/vault-init.sh:ro",
        "./policy:/gofr/policies:ro",
        "gofr-secrets:/run/gofr-secrets",
      ];
    },
  },
  {
    what: "a policy the script writes but the folder lacks",
    check: "checkReferencedFiles",
    expect: "policy file gofr-ops.hcl, missing",
    change: (c) => {
      c.vaultInit = c.vaultInit.replace(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and compose syntax
        'vault policy write gofr-admin "${POLICY_DIR}/gofr-admin.hcl"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and compose syntax
        'vault policy write gofr-admin "${POLICY_DIR}/gofr-ops.hcl"',
      );
    },
  },
  {
    what: "an undeclared named volume",
    check: "checkReferencedFiles",
    expect: "volume gofr-secrets is not declared",
    change: (c) => {
      c.compose.volumes = {};
    },
  },
  {
    what: "a creds file vault-init never writes",
    check: "checkCredsFiles",
    expect: "web: gofr-webapp.json is not a creds file vault-init writes",
    change: (c) => {
      env(c, "web").GOFR_WEB_VAULT_CREDS_FILE = "/run/gofr-secrets/gofr-webapp.json";
    },
  },
  {
    what: "the default creds path, which nothing mounts",
    check: "checkCredsFiles",
    expect: "mcp: /run/secrets/vault_creds is not on the volume vault-init writes",
    change: (c) => {
      env(c, "mcp").GOFR_MCP_VAULT_CREDS_FILE = "/run/secrets/vault_creds";
    },
  },
  {
    what: "vault-init writing creds somewhere else",
    check: "checkCredsFiles",
    expect: "web: /run/gofr-secrets/gofr-web.json is not in vault-init's CREDS_DIR /run/creds",
    change: (c) => {
      env(c, "vault-init").CREDS_DIR = "/run/creds";
    },
  },
  {
    what: "two services sharing a role (and the wrong uid)",
    check: "checkCredsFiles",
    expect: "mcp: shares AppRole gofr-web with web",
    change: (c) => {
      env(c, "mcp").GOFR_MCP_VAULT_CREDS_FILE = "/run/gofr-secrets/gofr-web.json";
    },
  },
  {
    what: "a service whose uid cannot read its 0600 creds file",
    check: "checkCredsFiles",
    expect: "web: runs as uid 10002, /run/gofr-secrets/gofr-web.json is 0600 for 10001",
    change: (c) => {
      service(c, "web").user = "10002:10002";
    },
  },
  {
    what: "the creds volume mounted writable in a service",
    check: "checkCredsFiles",
    expect: "web: the creds volume must be mounted read-only",
    change: (c) => {
      service(c, "web").volumes = ["gofr-secrets:/run/gofr-secrets"];
    },
  },
  {
    what: "a running service with the admin AppRole",
    check: "checkCredsFiles",
    expect: "web: AppRole gofr-web has policy gofr-admin, want gofr-web",
    change: (c) => {
      c.vaultInit = c.vaultInit.replace(
        "write_role gofr-web gofr-web 10001",
        "write_role gofr-web gofr-admin 10001",
      );
    },
  },
  {
    what: "two services sharing one policy",
    check: "checkCredsFiles",
    expect: "mcp: AppRole gofr-mcp has policy gofr-web, want gofr-mcp",
    change: (c) => {
      c.vaultInit = c.vaultInit.replace(
        "write_role gofr-mcp gofr-mcp 10002",
        "write_role gofr-mcp gofr-web 10002",
      );
    },
  },
  {
    what: "a service policy that reads every issuer's signing secret (the old gofr-service)",
    check: "checkPolicies",
    expect: "gofr-web (web): can read gofr-mcp's signing secret",
    change: (c) => {
      c.policies["gofr-web.hcl"] = (c.policies["gofr-web.hcl"] ?? "").replace(
        'path "secret/data/gofr/config/jwt-signing-secrets/gofr-web"',
        'path "secret/data/gofr/config/*"',
      );
    },
  },
  {
    what: "a service policy with a glob over the issuers' secrets",
    check: "checkPolicies",
    expect: "gofr-mcp (mcp): can read gofr-web's signing secret",
    change: (c) => {
      c.policies["gofr-mcp.hcl"] = (c.policies["gofr-mcp.hcl"] ?? "").replace(
        'path "secret/data/gofr/config/jwt-signing-secrets/gofr-mcp"',
        'path "secret/data/gofr/config/jwt-signing-secrets/+"',
      );
    },
  },
  {
    what: "a service without its own issuer",
    check: "checkPolicies",
    expect: "mcp: GOFR_MCP_ISSUER is not set",
    change: (c) => {
      delete env(c, "mcp").GOFR_MCP_ISSUER;
    },
  },
  {
    what: "two services with one issuer",
    check: "checkPolicies",
    expect: "mcp: issuer gofr-web is also web's",
    change: (c) => {
      env(c, "mcp").GOFR_MCP_ISSUER = "gofr-web";
    },
  },
  {
    what: "a service policy that may write",
    check: "checkPolicies",
    expect: "gofr-web: secret/data/gofr/auth/* grants update",
    change: (c) => {
      c.policies["gofr-web.hcl"] = (c.policies["gofr-web.hcl"] ?? "").replace(
        'path "secret/data/gofr/auth/*" {\n  capabilities = ["read"]',
        'path "secret/data/gofr/auth/*" {\n  capabilities = ["read", "update"]',
      );
    },
  },
  {
    what: "a service policy that cannot list the records",
    check: "checkPolicies",
    expect: "gofr-mcp: needs list on secret/metadata/gofr/auth/*",
    change: (c) => {
      c.policies["gofr-mcp.hcl"] = (c.policies["gofr-mcp.hcl"] ?? "").replace(
        'capabilities = ["list", "read"]',
        'capabilities = ["read"]',
      );
    },
  },
  {
    what: "an admin policy that cannot create the signing secret",
    check: "checkPolicies",
    expect: "gofr-admin: needs create on secret/data/gofr/config/jwt-signing-secret",
    change: (c) => {
      c.policies["gofr-admin.hcl"] = (c.policies["gofr-admin.hcl"] ?? "").replace(
        'path "secret/data/gofr/config/jwt-signing-secret" {\n  capabilities = ["create", "read", "update"]',
        'path "secret/data/gofr/config/jwt-signing-secret" {\n  capabilities = ["read", "update"]',
      );
    },
  },
  {
    what: "a script that echoes a secret_id",
    check: "checkScriptSecrecy",
    expect: "uses secret_id other than writing the creds file",
    change: (c) => {
      c.vaultInit = c.vaultInit.replace(
        'echo "vault-init: done"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and compose syntax
        'echo "vault-init: secret ${secret_id}"\necho "vault-init: done"',
      );
    },
  },
  {
    what: "a signing secret passed on the command line",
    check: "checkScriptSecrecy",
    expect: "not piped from /dev/urandom",
    change: (c) => {
      c.vaultInit = c.vaultInit.replace("value=- >/dev/null", 'value="$(cat /tmp/s)" >/dev/null');
    },
  },
  {
    what: "a weak signing secret",
    check: "checkScriptSecrecy",
    expect: "has 16 random bytes",
    change: (c) => {
      c.vaultInit = c.vaultInit.replace("head -c 32", "head -c 16");
    },
  },
  {
    what: "a runtime image that runs as root",
    check: "checkDockerfile",
    expect: "web: runs as root",
    change: (c) => {
      c.dockerfile = c.dockerfile.replace("USER node\n", "");
    },
  },
  {
    what: "another base image",
    check: "checkDockerfile",
    expect: "FROM node:22-alpine, want node:20-bookworm-slim",
    change: (c) => {
      c.dockerfile = c.dockerfile.replace(
        "ARG NODE_IMAGE=node:20-bookworm-slim",
        "ARG NODE_IMAGE=node:22-alpine",
      );
    },
  },
  {
    what: "a build without the native toolchain",
    check: "checkDockerfile",
    expect: "no python3 make g++",
    change: (c) => {
      c.dockerfile = c.dockerfile.replace("python3 make g++", "ca-certificates");
    },
  },
  {
    what: "a runtime image built on the toolchain stage",
    check: "checkDockerfile",
    expect: "runtime image carries the compiler toolchain",
    change: (c) => {
      c.dockerfile = c.dockerfile.replace(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and compose syntax
        "FROM ${NODE_IMAGE} AS runtime",
        "FROM toolchain AS runtime",
      );
    },
  },
  {
    what: "an entrypoint that runs the wrong file",
    check: "checkDockerfile",
    expect: "mcp: ENTRYPOINT runs /app/examples/build/examples/web/main.js",
    change: (c) => {
      c.dockerfile = c.dockerfile.replace(
        'ENTRYPOINT ["node", "/app/examples/build/examples/mcp/main.js"]',
        'ENTRYPOINT ["node", "/app/examples/build/examples/web/main.js"]',
      );
    },
  },
  {
    what: "a COPY of a file .dockerignore excludes",
    check: "checkDockerfile",
    expect: "COPY src: excluded by .dockerignore",
    change: (c) => {
      c.dockerignore = c.dockerignore.replace("!src\n", "");
    },
  },
  {
    what: "a COPY of a file that does not exist",
    check: "checkDockerfile",
    expect: "COPY tsconfig.examples.json: missing",
    change: (c) => {
      c.dockerfile = c.dockerfile.replace(
        "COPY tsconfig.json tsconfig.build.json ./",
        "COPY tsconfig.json tsconfig.examples.json ./",
      );
    },
  },
  {
    what: "production dependencies without the MCP SDK",
    check: "checkRuntimeDependencies",
    expect: "@modelcontextprotocol/sdk is imported at run time but not installed",
    change: (c) => {
      c.dockerfile = c.dockerfile.replace(" @modelcontextprotocol/sdk \\", " \\");
    },
  },
  {
    what: "a promoted package the services do not import",
    check: "checkRuntimeDependencies",
    expect: "promoted vitest is not imported by the services",
    change: (c) => {
      c.dockerfile = c.dockerfile.replace(
        "promote-dev-deps.mjs fastify",
        "promote-dev-deps.mjs vitest fastify",
      );
    },
  },
];

describe("every check can fail", () => {
  it.each(MUTATIONS)("$check catches $what", ({ check, expect: wanted, change }) => {
    const copy = broken(change);
    expect(copy).not.toEqual(stack); // the mutation changed something
    const problems = CHECKS[check](copy);
    expect(problems.join("\n")).toContain(wanted);
  });

  it("every check is exercised by at least one mutation", () => {
    const covered = new Set(MUTATIONS.map((m) => m.check));
    expect(Object.keys(CHECKS).filter((name) => !covered.has(name as CheckName))).toEqual([]);
  });
});
