/**
 * `doctor`: the misconfigurations that hurt the Python fleet, found before they hurt.
 * Static checks read only the environment and files; live checks (when `connect` is on)
 * build the configured stores, read the signing secret and ask Vault for its time.
 */
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Clock } from "../clock.js";
import { describeError, isAuthError } from "../errors.js";
import { RESERVED_GROUPS } from "../groups/group.js";
import { silentLogger } from "../log.js";
import { DEFAULT_AUDIENCE } from "../tokens/claims.js";
import { detectContainer } from "./container.js";
import { checkVaultHealth } from "./doctor-health.js";
import { checkIndexDrift, checkSqliteIntegrity } from "./doctor-integrity.js";
import { checkKeyScope, checkPlainHttp, checkTransitScope } from "./doctor-policy.js";
import { checkStoredRecords } from "./doctor-records.js";
import {
  type AuthEnv,
  DEFAULT_CREDS_FILE,
  DEFAULT_PATH_PREFIX,
  derivedAudiences,
  derivedPathPrefixes,
  normalizePrefix,
  readAuthEnv,
} from "./env.js";
import { resolveAuthConfig } from "./resolve.js";

export type FindingLevel = "error" | "warn" | "ok";

export interface Finding {
  level: FindingLevel;
  /** Stable, e.g. `path_prefix_derived`. */
  code: string;
  message: string;
  /** What to do about it (empty for `ok`). */
  fix: string;
}

export interface DoctorOptions {
  envPrefix: string;
  env?: NodeJS.ProcessEnv;
  /** Also read the secret, the reserved groups and Vault's clock. Default true. */
  connect?: boolean;
  /** Override container detection (tests). */
  inContainer?: boolean;
  /** Other issuers of the fleet whose secrets this service must not read (key scope check). */
  otherIssuers?: readonly string[];
  /** Repair what is safe to repair (see `DOCTOR_FIX_HELP`). Default false: only report. */
  fix?: boolean;
  /** Allowed difference between our clock and Vault's. Default 30 s (the token tolerance). */
  maxClockSkewSeconds?: number;
  clock?: Clock;
}

const LEGACY_SECRET_VAR = /(^|_)JWT_SECRET($|_)/;

export async function doctor(options: DoctorOptions): Promise<Finding[]> {
  const env = options.env ?? process.env;
  const prefix = normalizePrefix(options.envPrefix);
  const findings: Finding[] = [];
  const add = (level: FindingLevel, code: string, message: string, fix = "") =>
    findings.push({ level, code, message, fix });
  const get = (name: string) => {
    const value = env[`${prefix}_${name}`]?.trim();
    return value ? value : undefined;
  };

  // Canonical shared values, checked on the raw env so they are named even when invalid.
  const pathPrefix = get("VAULT_PATH_PREFIX") ?? DEFAULT_PATH_PREFIX;
  if (derivedPathPrefixes(prefix).includes(pathPrefix)) {
    add(
      "error",
      "path_prefix_derived",
      `${prefix}_VAULT_PATH_PREFIX is '${pathPrefix}', derived from the service prefix: this service would not see tokens and groups the rest of the fleet writes under '${DEFAULT_PATH_PREFIX}'`,
      `unset ${prefix}_VAULT_PATH_PREFIX or set it to ${DEFAULT_PATH_PREFIX}`,
    );
  } else if (pathPrefix !== DEFAULT_PATH_PREFIX) {
    add(
      "warn",
      "path_prefix_noncanonical",
      `${prefix}_VAULT_PATH_PREFIX is '${pathPrefix}', not the shared '${DEFAULT_PATH_PREFIX}'`,
      `use ${DEFAULT_PATH_PREFIX} unless this service deliberately has its own auth plane`,
    );
  } else {
    add("ok", "path_prefix_ok", `Auth path prefix is ${DEFAULT_PATH_PREFIX}`);
  }

  const audience = get("AUDIENCE") ?? DEFAULT_AUDIENCE;
  if (derivedAudiences(prefix).includes(audience)) {
    add(
      "error",
      "audience_derived",
      `${prefix}_AUDIENCE is '${audience}', derived from the service prefix: tokens minted for the fleet (aud '${DEFAULT_AUDIENCE}') would be rejected`,
      `unset ${prefix}_AUDIENCE or set it to ${DEFAULT_AUDIENCE}`,
    );
  } else if (audience !== DEFAULT_AUDIENCE) {
    add(
      "warn",
      "audience_noncanonical",
      `${prefix}_AUDIENCE is '${audience}', not the shared '${DEFAULT_AUDIENCE}'`,
      `use ${DEFAULT_AUDIENCE} unless this service only accepts its own tokens`,
    );
  } else {
    add("ok", "audience_ok", `Audience is ${DEFAULT_AUDIENCE}`);
  }

  const legacy = Object.keys(env)
    .filter((name) => LEGACY_SECRET_VAR.test(name) && env[name])
    .sort();
  if (legacy.length > 0 && get("SECRET_SOURCE")?.toLowerCase() !== "env") {
    add(
      "warn",
      "legacy_secret_env",
      `Signing secrets in the environment are ignored: ${legacy.join(", ")}`,
      "remove them; the signing secret is read from the secret store at run time",
    );
  }

  if (get("VAULT_TOKEN") && (get("VAULT_ROLE_ID") || get("VAULT_SECRET_ID"))) {
    add(
      "error",
      "vault_auth_ambiguous",
      `Both ${prefix}_VAULT_TOKEN and AppRole variables are set: which identity is used would be a guess`,
      `keep one: AppRole (${prefix}_VAULT_ROLE_ID + ${prefix}_VAULT_SECRET_ID, or the creds file) in production`,
    );
  }

  if (get("SECRET_SOURCE")?.toLowerCase() === "env") {
    add(
      "warn",
      "secret_source_env",
      `${prefix}_SECRET_SOURCE=env: signing secrets come from JWT_SECRET_* variables (legacy)`,
      "store them in Vault (gofr/config/jwt-signing-secret) and unset the variable",
    );
  }

  if (isTrue(get("NO_AUTH"))) {
    add(
      "warn",
      "no_auth",
      `${prefix}_NO_AUTH is set: services with this prefix accept requests without tokens`,
      `unset ${prefix}_NO_AUTH outside local development`,
    );
  }

  let settings: AuthEnv;
  try {
    settings = readAuthEnv(prefix, env);
  } catch (error) {
    const problems = isAuthError(error)
      ? (error.details.problems as string[] | undefined)
      : undefined;
    // Problems already reported with their own code are not repeated.
    const reported = findings.some((f) => f.code === "vault_auth_ambiguous");
    for (const problem of (problems ?? [describeError(error)]).filter(
      (text) =>
        !(reported && text.includes("not both")) && !/derived from the service prefix/.test(text),
    )) {
      add("error", "config_invalid", problem, "fix the variable as the message says");
    }
    return findings;
  }

  const vault = settings.vault;
  if (!vault) {
    add(
      "ok",
      "single_machine_mode",
      `No ${prefix}_VAULT_URL: using the embedded store ${settings.storeFile} (single machine only)`,
      `set ${prefix}_VAULT_URL to share one auth plane across machines`,
    );
  } else {
    const inContainer = options.inContainer ?? detectContainer(env);
    const host = new URL(vault.url).hostname;
    if (inContainer && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|::1)$/.test(host)) {
      add(
        "error",
        "vault_url_localhost",
        `${prefix}_VAULT_URL points at ${host} from inside a container, where that is the container itself`,
        "use the Vault service's hostname, e.g. http://vault:8200",
      );
    }
    checkPlainHttp(vault.url, prefix, add);
    if (!vault.token && !vault.roleId) await checkCredsFile(vault.credsFile, add);
  }

  if (options.connect ?? true) await liveChecks(prefix, env, settings, options, add);
  return findings;
}

type Add = (level: FindingLevel, code: string, message: string, fix?: string) => void;

async function checkCredsFile(path: string, add: Add): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    add(
      "error",
      "creds_file_unreadable",
      `No Vault token or AppRole variables, and the creds file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      `mount the AppRole credentials at ${DEFAULT_CREDS_FILE} or set the _VAULT_ROLE_ID/_VAULT_SECRET_ID variables`,
    );
    return;
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    add(
      "error",
      "creds_file_permissions",
      `The creds file ${path} is readable by others (mode ${mode.toString(8).padStart(4, "0")})`,
      `chmod 600 ${path}`,
    );
  }
  try {
    const creds = JSON.parse(text) as Record<string, unknown>;
    if (typeof creds.role_id !== "string" || typeof creds.secret_id !== "string") throw new Error();
    add("ok", "creds_file_ok", `AppRole credentials found in ${path}`);
  } catch {
    add(
      "error",
      "creds_file_invalid",
      `The creds file ${path} is not JSON with string role_id and secret_id`,
      'write it as {"role_id": "...", "secret_id": "..."}',
    );
  }
}

async function liveChecks(
  prefix: string,
  env: NodeJS.ProcessEnv,
  settings: AuthEnv,
  options: DoctorOptions,
  add: Add,
): Promise<void> {
  if (settings.vault) await checkVaultHealth(settings.vault, options, add);
  let resolved: Awaited<ReturnType<typeof resolveAuthConfig>>;
  try {
    resolved = await resolveAuthConfig({
      envPrefix: prefix,
      env: { ...env, [`${prefix}_NO_AUTH`]: "0" },
      logger: silentLogger,
      checkSecret: false,
      createStore: false,
    });
  } catch (error) {
    const hint = isAuthError(error) ? (error.hint ?? "") : "";
    add(
      "error",
      "store_unreachable",
      `Cannot open the configured store: ${describeError(error)}`,
      hint,
    );
    return;
  }
  if (!resolved.authEnabled) return;
  try {
    try {
      // The key this service signs with: the shared one, or its own once that is all it accepts.
      const key = settings.acceptSharedKey
        ? await resolved.secretProvider.getKey()
        : (await resolved.keyRing.mintingKey(settings.issuer)).key;
      add(
        "ok",
        "secret_ok",
        `Signing secret ${key.name} v${key.version} is readable: ${key.fingerprint}`,
      );
    } catch (error) {
      const code = isAuthError(error, "secret_too_weak") ? "secret_too_weak" : "secret_unreachable";
      add("error", code, describeError(error), isAuthError(error) ? (error.hint ?? "") : "");
    }
    checkSqliteIntegrity(resolved.admin, resolved.location, add);
    await checkIndexDrift(resolved.store, add, options.fix ?? false);
    await checkStoredRecords(resolved.store, add);
    try {
      const missing: string[] = [];
      for (const name of Object.keys(RESERVED_GROUPS)) {
        if (!(await resolved.store.findGroupByName(name))) missing.push(name);
      }
      if (missing.length === 0)
        add("ok", "reserved_groups_ok", "Reserved groups public and admin exist");
      else
        add(
          "warn",
          "reserved_groups_missing",
          `Reserved groups missing: ${missing.join(", ")}`,
          "run `gofr-auth init` (an admin identity creates them; read-only services cannot)",
        );
    } catch (error) {
      add("error", "store_unreachable", `Cannot read groups: ${describeError(error)}`);
    }
    await checkKeyScope(settings, add, options.otherIssuers); // Vault only
    // Vault only, and only when some issuer is EdDSA.
    await checkTransitScope(settings, add, undefined, options.otherIssuers);
  } finally {
    await resolved.close();
  }
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.toLowerCase());
}
