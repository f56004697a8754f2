/**
 * The compose stack as files (docker/compose.yml, docker/Dockerfile, docker/vault-init.sh,
 * docker/policies, .dockerignore, package.json) and the checks it must pass. No Docker
 * engine runs on our build machines, so this is how the stack is validated: each check
 * returns the problems it finds (empty = fine), and compose.test.ts also feeds it broken
 * copies to prove that every check can fail.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { parse } from "yaml";
import { readAuthEnv, variableNames } from "../../src/config/env.js";
import { DEFAULT_PATH_PREFIX } from "../../src/defaults.js";
import { DEFAULT_AUDIENCE } from "../../src/tokens/claims.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

type EnvValue = string | number | boolean | null;
export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, EnvValue> | string[];
  volumes?: Array<
    string | { type?: string; source?: string; target?: string; read_only?: boolean }
  >;
  depends_on?: string[] | Record<string, { condition?: string }>;
  user?: string;
  restart?: string;
  ports?: Array<string | number>;
  healthcheck?: { test?: string | string[] };
}
export interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export interface Stack {
  root: string;
  /** docker/: compose resolves relative paths from the compose file's folder. */
  composeDir: string;
  compose: Compose;
  composeText: string;
  dockerfile: string;
  dockerignore: string;
  vaultInit: string;
  /** docker/policies/<file> -> HCL text. */
  policies: Record<string, string>;
  packageJson: {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
}

export function loadStack(root = REPO_ROOT): Stack {
  const composeDir = join(root, "docker");
  const composeText = readFileSync(join(composeDir, "compose.yml"), "utf8");
  const policyDir = join(composeDir, "policies");
  const policies: Record<string, string> = {};
  for (const file of readdirSync(policyDir)) {
    if (file.endsWith(".hcl")) policies[file] = readFileSync(join(policyDir, file), "utf8");
  }
  return {
    root,
    composeDir,
    compose: parse(composeText) as Compose,
    composeText,
    dockerfile: readFileSync(join(composeDir, "Dockerfile"), "utf8"),
    dockerignore: readFileSync(join(root, ".dockerignore"), "utf8"),
    vaultInit: readFileSync(join(composeDir, "vault-init.sh"), "utf8"),
    policies,
    packageJson: JSON.parse(readFileSync(join(root, "package.json"), "utf8")),
  };
}

// ---------------------------------------------------------------- compose helpers

export function envOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((item) => {
        const at = item.indexOf("=");
        return at < 0 ? [item, ""] : [item.slice(0, at), item.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, value === null ? "" : String(value)]),
  );
}

export function argvOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : value.trim().split(/\s+/);
}

export interface Mount {
  kind: "bind" | "volume";
  source: string;
  target: string;
  readOnly: boolean;
}

export function mountsOf(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume === "string") {
      const [source = "", target = "", mode = ""] = volume.split(":");
      const bind = source.startsWith(".") || source.startsWith("/");
      return {
        kind: bind ? "bind" : "volume",
        source,
        target,
        readOnly: mode.split(",").includes("ro"),
      };
    }
    return {
      kind: volume.type === "bind" ? "bind" : "volume",
      source: volume.source ?? "",
      target: volume.target ?? "",
      readOnly: volume.read_only === true,
    };
  });
}

function dependsOf(service: ComposeService): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, spec]) => [name, spec?.condition]));
}

function buildOf(service: ComposeService) {
  if (service.build === undefined) return undefined;
  const build = typeof service.build === "string" ? { context: service.build } : service.build;
  return {
    context: build.context ?? ".",
    dockerfile: build.dockerfile ?? "Dockerfile",
    target: build.target,
  };
}

/** `--env-prefix X` in the command, else the default `GOFR` (services and CLI alike). */
export function envPrefixOf(service: ComposeService): string {
  const argv = argvOf(service.command);
  const at = argv.indexOf("--env-prefix");
  return at >= 0 ? (argv[at + 1] ?? "") : "GOFR";
}

/** The service's `<PREFIX>_ISSUER`, if set. */
export function issuerOf(service: ComposeService): string | undefined {
  return envOf(service)[`${envPrefixOf(service)}_ISSUER`] || undefined;
}

/** The vault-init role whose creds file the service reads, if any. */
export function roleOf(stack: Stack, service: ComposeService): Role | undefined {
  const file = envOf(service)[`${envPrefixOf(service)}_VAULT_CREDS_FILE`] ?? "";
  return scriptRoles(stack.vaultInit).find((r) => `${r.role}.json` === posix.basename(file));
}

/** Services built from our Dockerfile: they all run gofr-auth code with auth on. */
export function authServices(stack: Stack): Array<[string, ComposeService]> {
  return Object.entries(stack.compose.services).filter(([, service]) => {
    const build = buildOf(service);
    return build?.dockerfile.endsWith("docker/Dockerfile") === true;
  });
}

/** The Vault server: the hashicorp/vault service that runs `server`. */
export function vaultServer(stack: Stack): [string, ComposeService] | undefined {
  return Object.entries(stack.compose.services).find(
    ([, service]) =>
      (service.image ?? "").startsWith("hashicorp/vault:") &&
      service.entrypoint === undefined &&
      argvOf(service.command)[0] === "server",
  );
}

/** The service that runs docker/vault-init.sh (bind-mounted, named in its entrypoint). */
export function vaultInitService(stack: Stack): [string, ComposeService] | undefined {
  return Object.entries(stack.compose.services).find(([, service]) =>
    mountsOf(service).some(
      (mount) =>
        mount.kind === "bind" &&
        posix.normalize(mount.source) === "vault-init.sh" &&
        argvOf(service.entrypoint).includes(mount.target),
    ),
  );
}

const isOneShot = (service: ComposeService) => service.restart === "no";
export const isCli = (service: ComposeService) => buildOf(service)?.target === "cli";

// ---------------------------------------------------------------- vault-init.sh facts

export interface Role {
  role: string;
  policy: string;
  uid: string;
}

export function scriptRoles(script: string): Role[] {
  return [...script.matchAll(/^write_role\s+(\S+)\s+(\S+)\s+(\d+)\s*$/gm)].map((m) => ({
    role: m[1] ?? "",
    policy: m[2] ?? "",
    uid: m[3] ?? "",
  }));
}

function scriptDefault(script: string, name: string): string | undefined {
  const match = new RegExp(`^${name}="\\$\\{${name}:-([^}]*)\\}"`, "m").exec(script);
  return match?.[1];
}

/** `vault policy write <name> "${POLICY_DIR}/<file>"` lines. */
export function scriptPolicies(script: string): Array<{ name: string; file: string }> {
  return [...script.matchAll(/vault policy write (\S+) "\$\{POLICY_DIR\}\/([^"]+)"/g)].map((m) => ({
    name: m[1] ?? "",
    file: m[2] ?? "",
  }));
}

/** Variables the script reads (`$X`, `${X...}`), upper-case ones only. */
function scriptVariables(script: string): Set<string> {
  return new Set([...script.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] ?? ""));
}

function scriptRequired(script: string): string[] {
  return [...script.matchAll(/^: "\$\{([A-Z][A-Z0-9_]*):\?/gm)].map((m) => m[1] ?? "");
}

// ---------------------------------------------------------------- checks

/** Every service has a pinned image or a build whose context, Dockerfile and target exist. */
export function checkSources(stack: Stack): string[] {
  const problems: string[] = [];
  const stages = dockerStages(stack.dockerfile);
  for (const [name, service] of Object.entries(stack.compose.services)) {
    const build = buildOf(service);
    if (!build && !service.image) problems.push(`${name}: neither image nor build`);
    if (!build && service.image) {
      const tag = /^[^:@]+:([^:@]+)$/.exec(service.image)?.[1];
      if (!tag || tag === "latest" || !/\d/.test(tag)) {
        problems.push(`${name}: image ${service.image} is not pinned to a version tag`);
      }
    }
    if (build) {
      const context = resolve(stack.composeDir, build.context);
      const dockerfile = resolve(context, build.dockerfile);
      if (!existsSync(context)) problems.push(`${name}: build context ${build.context} missing`);
      if (!existsSync(dockerfile)) {
        problems.push(`${name}: Dockerfile ${build.dockerfile} missing`);
      } else if (dockerfile !== join(stack.composeDir, "Dockerfile")) {
        problems.push(`${name}: builds ${build.dockerfile}, not docker/Dockerfile`);
      }
      if (!build.target) problems.push(`${name}: build without a target`);
      else if (!stages.some((stage) => stage.name === build.target)) {
        problems.push(`${name}: build target ${build.target} is not a stage of the Dockerfile`);
      }
    }
  }
  return problems;
}

/** depends_on targets exist, with the condition their kind needs; no cycles. */
export function checkDependsOn(stack: Stack): string[] {
  const problems: string[] = [];
  const services = stack.compose.services;
  for (const [name, service] of Object.entries(services)) {
    for (const [target, condition] of Object.entries(dependsOf(service))) {
      const dependency = services[target];
      if (!dependency) {
        problems.push(`${name}: depends_on ${target}, which is not a service`);
        continue;
      }
      const wanted = isOneShot(dependency)
        ? "service_completed_successfully"
        : dependency.healthcheck
          ? "service_healthy"
          : undefined;
      if (!wanted) problems.push(`${name}: depends_on ${target}, which has no healthcheck`);
      else if (condition !== wanted) {
        problems.push(
          `${name}: depends_on ${target} with ${condition ?? "no condition"}, want ${wanted}`,
        );
      }
    }
  }
  const vault = vaultServer(stack)?.[0];
  const init = vaultInitService(stack)?.[0];
  if (!vault) problems.push("no Vault server service (hashicorp/vault running `server`)");
  if (!init) problems.push("no service runs docker/vault-init.sh");
  const cli = authServices(stack).find(([, service]) => isCli(service))?.[0];
  if (!cli) problems.push("no service runs the gofr-auth CLI (target cli)");
  const required = (name: string, service: ComposeService, targets: Array<string | undefined>) => {
    for (const target of targets) {
      if (target && target !== name && !(target in dependsOf(service))) {
        problems.push(`${name}: must depend on ${target}`);
      }
    }
  };
  if (init && services[init]) required(init, services[init], [vault]);
  for (const [name, service] of authServices(stack)) {
    required(name, service, isCli(service) ? [vault, init] : [vault, init, cli]);
  }
  // No cycles: a depth-first walk never meets a service on its own path.
  const visit = (name: string, path: string[]): void => {
    if (path.includes(name)) {
      problems.push(`depends_on cycle: ${[...path, name].join(" -> ")}`);
      return;
    }
    for (const target of Object.keys(dependsOf(services[name] ?? {}))) {
      if (services[target]) visit(target, [...path, name]);
    }
  };
  for (const name of Object.keys(services)) visit(name, []);
  return [...new Set(problems)];
}

/** Containers reach each other by service name: loopback in an env value is a bug. */
export function checkNoLoopback(stack: Stack): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(stack.compose.services)) {
    for (const [key, value] of Object.entries(envOf(service))) {
      if (/localhost|127\.\d+\.\d+\.\d+|\[::1\]|::1/i.test(value)) {
        problems.push(`${name}: ${key}=${value} points at the container itself`);
      }
    }
  }
  return problems;
}

/** Vault URLs name the Vault service and the port it listens on. */
export function checkVaultUrls(stack: Stack): string[] {
  const problems: string[] = [];
  const vault = vaultServer(stack);
  if (!vault) return ["no Vault server service"];
  const listen = envOf(vault[1]).VAULT_DEV_LISTEN_ADDRESS ?? "0.0.0.0:8200";
  const expected = `http://${vault[0]}:${listen.split(":").pop()}`;
  for (const [name, service] of Object.entries(stack.compose.services)) {
    for (const [key, value] of Object.entries(envOf(service))) {
      if ((key.endsWith("_VAULT_URL") || key === "VAULT_ADDR") && value !== expected) {
        problems.push(`${name}: ${key}=${value}, want ${expected}`);
      }
    }
  }
  return problems;
}

/** Auth services: Vault on, prefix gofr/auth explicit, audience canonical, never --no-auth. */
export function checkAuthSettings(stack: Stack): string[] {
  const problems: string[] = [];
  const services = authServices(stack);
  if (services.length === 0) problems.push("no service built from docker/Dockerfile");
  for (const [name, service] of services) {
    const prefix = envPrefixOf(service);
    const env = envOf(service);
    if (!env[`${prefix}_VAULT_URL`]) problems.push(`${name}: ${prefix}_VAULT_URL is not set`);
    if (env[`${prefix}_VAULT_PATH_PREFIX`] !== DEFAULT_PATH_PREFIX) {
      problems.push(
        `${name}: ${prefix}_VAULT_PATH_PREFIX must be ${DEFAULT_PATH_PREFIX} explicitly (got ${env[`${prefix}_VAULT_PATH_PREFIX`] ?? "unset"})`,
      );
    }
    const audience = env[`${prefix}_AUDIENCE`];
    if (audience !== undefined && audience !== DEFAULT_AUDIENCE) {
      problems.push(
        `${name}: ${prefix}_AUDIENCE=${audience}; leave the canonical ${DEFAULT_AUDIENCE}`,
      );
    }
    const argv = argvOf(service.command);
    if (argv.includes("--no-auth")) problems.push(`${name}: runs with --no-auth`);
    if (!isCli(service)) {
      const host = argv[argv.indexOf("--host") + 1];
      if (!argv.includes("--host") || host !== "0.0.0.0") {
        problems.push(`${name}: must listen on --host 0.0.0.0 (got ${host ?? "the default"})`);
      }
      const port = argv[argv.indexOf("--port") + 1];
      if (!argv.includes("--port")) problems.push(`${name}: no --port`);
      const published = (service.ports ?? []).map((p) => String(p).split(":").pop());
      if (!published.includes(port)) problems.push(`${name}: --port ${port} is not published`);
      const health = argvOf(service.healthcheck?.test).join(" ");
      if (!health.includes(`:${port}/health`)) {
        problems.push(`${name}: healthcheck does not probe :${port}/health`);
      }
    }
    // The same validation the service runs at start-up.
    try {
      const settings = readAuthEnv(prefix, env);
      if (settings.noAuth) problems.push(`${name}: ${prefix}_NO_AUTH turns auth off`);
      if (!settings.vault) problems.push(`${name}: no Vault configured`);
      if (settings.pathPrefix !== DEFAULT_PATH_PREFIX) {
        problems.push(`${name}: path prefix ${settings.pathPrefix}`);
      }
      if (settings.audience !== DEFAULT_AUDIENCE) {
        problems.push(`${name}: audience ${settings.audience}`);
      }
    } catch (error) {
      problems.push(`${name}: config refused: ${(error as Error).message}`);
    }
  }
  return problems;
}

const SECRET_NAME =
  /(^|_)(VAULT_TOKEN|SECRET_KEY|SECRET_ID|ROOT_TOKEN|ROOT_TOKEN_ID)$|(^|_)JWT_SECRET/;
const REQUIRED_INTERPOLATION = /^\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}$/;

/** Secret-named variables only as `${VAR:?message}`: never a literal, never a default. */
export function checkSecretEnv(stack: Stack): string[] {
  const problems: string[] = [];
  const rootTokenVars = new Set<string>();
  for (const [name, service] of Object.entries(stack.compose.services)) {
    for (const [key, value] of Object.entries(envOf(service))) {
      if (SECRET_NAME.test(key)) {
        if (!REQUIRED_INTERPOLATION.test(value)) {
          problems.push(`${name}: ${key} has a literal value or a default; use \${VAR:?message}`);
        } else {
          rootTokenVars.add(/^\$\{([A-Za-z0-9_]+)/.exec(value)?.[1] ?? "");
        }
      }
    }
  }
  for (const [name, service] of authServices(stack)) {
    for (const key of Object.keys(envOf(service))) {
      if (SECRET_NAME.test(key))
        problems.push(`${name}: ${key}: services log in with AppRole files`);
    }
  }
  if (rootTokenVars.size > 1) {
    problems.push(`root token from several variables: ${[...rootTokenVars].join(", ")}`);
  }
  if (/\bhvs\.[A-Za-z0-9_-]{16,}|\bs\.[A-Za-z0-9]{24}\b/.test(stack.composeText)) {
    problems.push("compose.yml contains something shaped like a Vault token");
  }
  return problems;
}

/** Env names are ones the program reads: env.ts for our services, the script for vault-init. */
export function checkEnvNames(stack: Stack): string[] {
  const problems: string[] = [];
  for (const [name, service] of authServices(stack)) {
    const known = new Set(variableNames(envPrefixOf(service)));
    for (const key of Object.keys(envOf(service))) {
      if (!known.has(key)) problems.push(`${name}: ${key} is not read by src/config/env.ts`);
    }
  }
  const init = vaultInitService(stack);
  if (init) {
    const read = scriptVariables(stack.vaultInit);
    const env = envOf(init[1]);
    for (const key of Object.keys(env)) {
      if (!read.has(key)) problems.push(`${init[0]}: ${key} is not read by vault-init.sh`);
    }
    for (const key of scriptRequired(stack.vaultInit)) {
      if (!env[key]) problems.push(`${init[0]}: vault-init.sh requires ${key}`);
    }
  }
  const vault = vaultServer(stack);
  if (vault) {
    const known = new Set(["VAULT_DEV_ROOT_TOKEN_ID", "VAULT_DEV_LISTEN_ADDRESS"]);
    const env = envOf(vault[1]);
    for (const key of Object.keys(env)) {
      if (!known.has(key)) problems.push(`${vault[0]}: ${key} is not a Vault dev-mode variable`);
    }
    if (!env.VAULT_DEV_ROOT_TOKEN_ID) problems.push(`${vault[0]}: VAULT_DEV_ROOT_TOKEN_ID unset`);
  }
  return problems;
}

/** Bind-mounted files, the script the entrypoint runs, and the policies it writes exist. */
export function checkReferencedFiles(stack: Stack): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(stack.compose.services)) {
    for (const mount of mountsOf(service)) {
      if (mount.kind === "bind" && !existsSync(resolve(stack.composeDir, mount.source))) {
        problems.push(`${name}: bind mount source ${mount.source} does not exist`);
      }
      if (mount.kind === "volume" && !(mount.source in (stack.compose.volumes ?? {}))) {
        problems.push(`${name}: volume ${mount.source} is not declared`);
      }
    }
  }
  const init = vaultInitService(stack);
  if (!init) return [...problems, "no service runs docker/vault-init.sh"];
  const policyDir = envOf(init[1]).POLICY_DIR ?? scriptDefault(stack.vaultInit, "POLICY_DIR");
  const mount = mountsOf(init[1]).find((m) => m.kind === "bind" && m.target === policyDir);
  if (!mount) problems.push(`${init[0]}: nothing mounted at POLICY_DIR ${policyDir}`);
  const written = scriptPolicies(stack.vaultInit);
  if (written.length === 0) problems.push("vault-init.sh writes no policy");
  for (const { file } of written) {
    const path = mount ? resolve(stack.composeDir, mount.source, file) : undefined;
    if (!path || !existsSync(path))
      problems.push(`vault-init.sh writes policy file ${file}, missing`);
  }
  for (const role of scriptRoles(stack.vaultInit)) {
    if (!written.some((policy) => policy.name === role.policy)) {
      problems.push(`role ${role.role}: policy ${role.policy} is not written by vault-init.sh`);
    }
  }
  return problems;
}

/**
 * Each auth service reads `<P>_VAULT_CREDS_FILE` from the volume vault-init writes, as the
 * uid that owns the file, read-only, with its own role; long-running services get the
 * read-only policy and only the CLI the admin one.
 */
export function checkCredsFiles(stack: Stack): string[] {
  const problems: string[] = [];
  const init = vaultInitService(stack);
  if (!init) return ["no service runs docker/vault-init.sh"];
  const credsDir = envOf(init[1]).CREDS_DIR ?? scriptDefault(stack.vaultInit, "CREDS_DIR");
  const written = mountsOf(init[1]).find((m) => m.target === credsDir);
  if (written?.kind !== "volume" || written.readOnly) {
    problems.push(`${init[0]}: CREDS_DIR ${credsDir} is not a writable named volume`);
  }
  const roles = scriptRoles(stack.vaultInit);
  if (roles.length === 0) problems.push("vault-init.sh creates no AppRole");
  const used = new Map<string, string>();
  for (const [name, service] of authServices(stack)) {
    const prefix = envPrefixOf(service);
    const file = envOf(service)[`${prefix}_VAULT_CREDS_FILE`];
    if (!file) {
      problems.push(`${name}: ${prefix}_VAULT_CREDS_FILE is not set`);
      continue;
    }
    const mount = mountsOf(service).find((m) => m.target === posix.dirname(file));
    if (mount?.kind !== "volume" || mount.source !== written?.source) {
      problems.push(`${name}: ${file} is not on the volume vault-init writes`);
    } else if (!mount.readOnly) {
      problems.push(`${name}: the creds volume must be mounted read-only`);
    }
    if (posix.dirname(file) !== credsDir) {
      problems.push(`${name}: ${file} is not in vault-init's CREDS_DIR ${credsDir}`);
    }
    const role = roles.find((r) => `${r.role}.json` === posix.basename(file));
    if (!role) {
      problems.push(`${name}: ${posix.basename(file)} is not a creds file vault-init writes`);
      continue;
    }
    const other = used.get(role.role);
    if (other) problems.push(`${name}: shares AppRole ${role.role} with ${other}`);
    used.set(role.role, name);
    const uid = (service.user ?? "").split(":")[0];
    if (uid !== role.uid) {
      problems.push(
        `${name}: runs as uid ${uid || "(image default)"}, ${file} is 0600 for ${role.uid}`,
      );
    }
    // A service's policy is named after its issuer (`gofr-auth policy --issuer <it>`).
    const policy = isCli(service) ? "gofr-admin" : (issuerOf(service) ?? `its ${prefix}_ISSUER`);
    if (role.policy !== policy) {
      problems.push(`${name}: AppRole ${role.role} has policy ${role.policy}, want ${policy}`);
    }
  }
  return problems;
}

/** No line of vault-init.sh shows a secret_id or the signing secret. */
export function checkScriptSecrecy(stack: Stack): string[] {
  const problems: string[] = [];
  const lines = stack.vaultInit.split("\n");
  lines.forEach((line, index) => {
    const code = line.replace(/^\s*#.*$/, "");
    if (/\$\{?secret_id\b/.test(code) && !/>\s*"\$tmp"\s*$/.test(code)) {
      problems.push(`vault-init.sh:${index + 1} uses secret_id other than writing the creds file`);
    }
  });
  const creation =
    /head -c (\d+) \/dev\/urandom \| base64 \| tr -d '\\n' \|\s*\\?\s*\n?\s*vault kv put -cas=0 "\$SECRET_PATH" value=- >\/dev\/null/.exec(
      stack.vaultInit,
    );
  if (!creation) {
    problems.push(
      "vault-init.sh: the signing secret is not piped from /dev/urandom into kv put -cas=0",
    );
  } else if (Number(creation[1]) < 32) {
    problems.push(`vault-init.sh: the signing secret has ${creation[1]} random bytes, want >= 32`);
  }
  if (!/^SECRET_PATH="secret\/gofr\/config\/jwt-signing-secret"$/m.test(stack.vaultInit)) {
    problems.push("vault-init.sh: SECRET_PATH is not secret/gofr/config/jwt-signing-secret");
  }
  return problems;
}

// ---------------------------------------------------------------- Dockerfile

export interface DockerStage {
  name: string | undefined;
  from: string;
  lines: string[];
}

/** Stages with ARG defaults (declared before the first FROM) substituted into FROM. */
export function dockerStages(dockerfile: string): DockerStage[] {
  const joined = dockerfile.replace(/\\\n/g, " ");
  const args: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const raw of joined.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const arg = /^ARG\s+(\w+)=(\S+)$/.exec(line);
    if (arg && stages.length === 0) args[arg[1] ?? ""] = arg[2] ?? "";
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) {
      const image = (from[1] ?? "").replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? "");
      stages.push({ name: from[2], from: image, lines: [] });
    } else {
      stages.at(-1)?.lines.push(line);
    }
  }
  return stages;
}

/** A stage and the stages it is built FROM, nearest first. */
function lineage(stages: DockerStage[], name: string): DockerStage[] {
  const chain: DockerStage[] = [];
  let stage = stages.find((s) => s.name === name);
  while (stage && !chain.includes(stage)) {
    chain.push(stage);
    const from = stage.from;
    stage = stages.find((s) => s.name === from);
  }
  return chain;
}

/** A minimal .dockerignore matcher: later lines win, a match on a parent counts. */
export function dockerIgnored(dockerignore: string, path: string): boolean {
  const patterns = dockerignore
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const parts = path.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith("!");
    const glob = (negated ? pattern.slice(1) : pattern).replace(/^\/+|\/+$/g, "");
    const regex = new RegExp(
      `^${glob
        .split("**")
        .map((piece) =>
          piece
            .split("*")
            .map((text) => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
            .join("[^/]*"),
        )
        .join(".*")}$`,
    );
    if (candidates.some((candidate) => regex.test(candidate))) ignored = !negated;
  }
  return ignored;
}

const RUNTIME_TARGETS: Record<string, string> = {
  web: "examples/web/main.ts",
  mcp: "examples/mcp/main.ts",
  cli: "src/cli/main.ts",
};

/** The compiled file an ENTRYPOINT runs, mapped back to its TypeScript source. */
export function sourceOfEntrypoint(path: string): string | undefined {
  const examples = /^\/app\/examples\/build\/(.+)\.js$/.exec(path);
  if (examples) return `${examples[1]}.ts`;
  const dist = /^\/app\/dist\/(.+)\.js$/.exec(path);
  if (dist) return `src/${dist[1]}.ts`;
  return undefined;
}

export function checkDockerfile(stack: Stack): string[] {
  const problems: string[] = [];
  const stages = dockerStages(stack.dockerfile);
  const names = new Set(stages.map((s) => s.name));
  for (const stage of stages) {
    if (!names.has(stage.from) && stage.from !== "node:20-bookworm-slim") {
      problems.push(`stage ${stage.name}: FROM ${stage.from}, want node:20-bookworm-slim`);
    }
  }
  const text = (chain: DockerStage[]) => chain.flatMap((s) => s.lines).join("\n");
  const hasToolchain = (chain: DockerStage[]) =>
    /apt-get install[^\n]*\bpython3\b/.test(text(chain)) &&
    /apt-get install[^\n]*\bmake\b/.test(text(chain)) &&
    /apt-get install[^\n]*\bg\+\+/.test(text(chain));
  const build = stages.find((s) => /npm run build/.test(s.lines.join("\n")));
  if (!build?.name) problems.push("no stage runs npm run build");
  else {
    const chain = lineage(stages, build.name);
    const all = text(chain);
    if (!hasToolchain(chain))
      problems.push(`${build.name}: no python3 make g++ for better-sqlite3`);
    if (!/RUN npm ci(?! --omit)/.test(all)) problems.push(`${build.name}: no full npm ci`);
    if (!/npx tsc -p examples\/tsconfig\.json/.test(all)) {
      problems.push(`${build.name}: does not compile the examples`);
    }
  }
  const prodStage = stages.find((s) => /npm ci --omit=dev/.test(s.lines.join("\n")));
  if (!prodStage?.name)
    problems.push("no stage installs production dependencies (npm ci --omit=dev)");
  for (const [target, source] of Object.entries(RUNTIME_TARGETS)) {
    const chain = lineage(stages, target);
    if (chain.length === 0) {
      problems.push(`no target ${target}`);
      continue;
    }
    if (hasToolchain(chain))
      problems.push(`${target}: runtime image carries the compiler toolchain`);
    // The last USER of the nearest stage that has one.
    const users = chain.map((s) => s.lines.filter((l) => l.startsWith("USER ")).at(-1));
    const user = users
      .find((line) => line !== undefined)
      ?.slice(5)
      .trim();
    if (!user || /^(root|0)(:|$)/.test(user)) problems.push(`${target}: runs as root`);
    const copies = text(chain);
    if (!prodStage?.name || !copies.includes(`COPY --from=${prodStage.name} /app/node_modules`)) {
      problems.push(`${target}: node_modules not copied from the production-dependencies stage`);
    }
    if (build?.name && !copies.includes(`COPY --from=${build.name} /app/dist`)) {
      problems.push(`${target}: dist/ not copied from the build stage`);
    }
    if (build?.name && !copies.includes(`COPY --from=${build.name} /app/examples/build`)) {
      problems.push(`${target}: examples/build/ not copied from the build stage`);
    }
    const entry = chain.flatMap((s) => s.lines.filter((l) => l.startsWith("ENTRYPOINT ")))[0];
    const argv = entry ? (JSON.parse(entry.slice(11)) as string[]) : [];
    const script = argv.find((arg) => arg.endsWith(".js"));
    if (argv[0] !== "node" || !script) {
      problems.push(`${target}: ENTRYPOINT is not node <file>.js`);
    } else if (sourceOfEntrypoint(script) !== source) {
      problems.push(`${target}: ENTRYPOINT runs ${script}, not the build of ${source}`);
    } else if (!existsSync(join(stack.root, source))) {
      problems.push(`${target}: ${source} does not exist`);
    }
  }
  // COPY from the build context: the source exists and .dockerignore lets it through.
  for (const stage of stages) {
    for (const line of stage.lines) {
      const copy = /^COPY\s+(?!--from)(.+)$/.exec(line);
      if (!copy) continue;
      const parts = (copy[1] ?? "").split(/\s+/).filter((part) => !part.startsWith("--"));
      for (const source of parts.slice(0, -1)) {
        if (!existsSync(join(stack.root, source))) problems.push(`COPY ${source}: missing`);
        else if (dockerIgnored(stack.dockerignore, source.replace(/\/+$/, ""))) {
          problems.push(`COPY ${source}: excluded by .dockerignore`);
        }
      }
    }
  }
  return problems;
}

/** Packages `node docker/promote-dev-deps.mjs ...` moves to dependencies in the image. */
export function promotedPackages(dockerfile: string): string[] {
  const match = /node docker\/promote-dev-deps\.mjs((?:\s+[@\w./-]+)+)/.exec(dockerfile);
  return match ? (match[1] ?? "").trim().split(/\s+/) : [];
}

/** Packages (not node: built-ins) imported at run time from `entries`, following relative imports. */
export function runtimeImports(root: string, entries: string[]): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = entries.map((entry) => join(root, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022);
    const specifiers: string[] = [];
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
        specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
        specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        specifiers.push(node.arguments[0].text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    for (const specifier of specifiers) {
      if (specifier.startsWith(".")) {
        queue.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      } else if (!specifier.startsWith("node:")) {
        const parts = specifier.split("/");
        packages.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? ""));
      }
    }
  }
  return packages;
}

/** What the image's entrypoints import is installed by `npm ci --omit=dev` after promotion. */
export function checkRuntimeDependencies(stack: Stack): string[] {
  const problems: string[] = [];
  const dependencies = stack.packageJson.dependencies ?? {};
  const devDependencies = stack.packageJson.devDependencies ?? {};
  const promoted = promotedPackages(stack.dockerfile);
  const needed = runtimeImports(stack.root, Object.values(RUNTIME_TARGETS));
  for (const name of needed) {
    if (!(name in dependencies) && !promoted.includes(name)) {
      problems.push(`${name} is imported at run time but not installed in the image`);
    }
  }
  for (const name of promoted) {
    if (!(name in devDependencies)) problems.push(`promoted ${name} is not a devDependency`);
    if (!needed.has(name)) problems.push(`promoted ${name} is not imported by the services`);
  }
  return problems;
}
