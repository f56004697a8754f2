/**
 * Reading the auth settings of one service from its environment. The only module (with
 * doctor) that looks at environment variables. Names are `<PREFIX>_<NAME>` with the
 * service's prefix, e.g. `GOFR_DIG_VAULT_URL`. Defaults that the fleet must share (path
 * prefix `gofr/auth`, audience `gofr-api`) are constants, never derived from the prefix.
 */
import { z } from "zod";
import {
  DEFAULT_CREDS_FILE,
  DEFAULT_KV_MOUNT,
  DEFAULT_PATH_PREFIX,
  DEFAULT_TRANSIT_MOUNT,
} from "../defaults.js";
import { AuthError } from "../errors.js";
import { DEFAULT_PROPAGATION_SECONDS } from "../propagation/poller.js";
import { DEFAULT_SECRET_TTL_SECONDS } from "../secrets/provider.js";
import { DEFAULT_AUDIENCE, OPERATOR_ISSUER } from "../tokens/claims.js";
import { type IssuerAlgorithmsConfig, issuerAlgorithmsSchema } from "./issuer-algorithms.js";
import {
  VAULT_IDENTITY_VARIABLES,
  type VaultIdentitySettings,
  vaultIdentitySettings,
} from "./vault-identity.js";

export { DEFAULT_CREDS_FILE, DEFAULT_KV_MOUNT, DEFAULT_PATH_PREFIX };
export const DEFAULT_STORE_FILE = "./.gofr-auth/auth.db";
export const DEFAULT_VAULT_TIMEOUT_SECONDS = 5;

/** The settings, validated, with defaults applied. */
export interface AuthEnv {
  /** Normalised prefix, e.g. `GOFR_DIG`. */
  prefix: string;
  noAuth: boolean;
  vault:
    | {
        url: string;
        token: string | undefined;
        roleId: string | undefined;
        secretId: string | undefined;
        credsFile: string;
        namespace: string | undefined;
        mount: string;
        caCertFile: string | undefined;
        timeoutSeconds: number;
      }
    | undefined;
  /** Embedded SQLite file, used when no Vault URL is set. */
  storeFile: string;
  pathPrefix: string;
  audience: string;
  issuer: string;
  trustedIssuers: string[] | undefined;
  secretTtlSeconds: number;
  /**
   * Vault store: how long a token record is cached. With propagation on (default 300 s) it
   * bounds only revocations written without the change marker (the Python fleet); with it
   * off (default 30 s) it bounds every revocation made by another process.
   */
  tokenCacheTtlSeconds: number;
  /**
   * Vault: seconds between two reads of the change marker (`<P>_PROPAGATION_SECONDS`,
   * default 2; 0 = off). Rotations and revocations made by writers using this library reach
   * the service within this interval plus one read. The embedded store needs no poll.
   */
  propagationSeconds: number;
  rotationGraceSeconds: number;
  /** `store` (Vault or SQLite, the default) or `env` (legacy JWT_SECRET_* variables). */
  secretSource: "store" | "env";
  /** Issuers must sign with their own secret: no shared fallback (also when `!acceptSharedKey`). */
  strictIssuerKeys: boolean;
  /**
   * Tokens signed with the shared key verify (default true). `<P>_ACCEPT_SHARED_KEY=0`
   * ends the migration to per-issuer keys: shared-key tokens are refused, with or without
   * `iss` (implies strict issuer keys).
   */
  acceptSharedKey: boolean;
  /** Non-canonical path prefix or audience allowed (with a warning) instead of refused. */
  allowNonCanonical: boolean;
  /**
   * `<P>_ISSUER_ALGORITHMS` (`issuer=ALG[,ALG];...`, e.g. `deposito=EdDSA,HS256`): the
   * algorithms each listed issuer's tokens may use, the first being what it mints. Issuers
   * not listed are HS256 only. Undefined when unset.
   */
  issuerAlgorithms: IssuerAlgorithmsConfig | undefined;
  /** Vault: the Transit mount holding EdDSA issuers' keys (`<P>_TRANSIT_MOUNT`, default `transit`). */
  transitMount: string;
  /**
   * Vault identity tokens accepted next to ours (`<P>_VAULT_IDENTITY_AUDIENCE` and the other
   * `<P>_VAULT_IDENTITY_*`); undefined when off.
   */
  vaultIdentity: VaultIdentitySettings | undefined;
}

/** `gofr-dig` -> `GOFR_DIG`; trailing underscores dropped. */
export function normalizePrefix(prefix: string): string {
  const normalized = prefix.trim().toUpperCase().replace(/-/g, "_").replace(/_+$/, "");
  if (!/^[A-Z][A-Z0-9_]*$/.test(normalized)) {
    throw new AuthError("config_invalid", `Invalid env prefix ${JSON.stringify(prefix)}`, {
      hint: "use letters, digits and '_', e.g. GOFR_DIG",
    });
  }
  return normalized;
}

/** The mistaken per-service defaults of the Python fleet, e.g. `gofr/dig/auth`. */
export function derivedPathPrefixes(prefix: string): string[] {
  const lower = prefix.toLowerCase();
  const derived = [
    `${lower.replace(/_/g, "/")}/auth`,
    `${lower.replace(/_/g, "-")}/auth`,
    `${lower}/auth`,
  ];
  return derived.filter((value) => value !== DEFAULT_PATH_PREFIX); // prefix GOFR derives the canonical one
}

/** The mistaken per-service audience of the Python fleet, e.g. `gofr_dig-api`. */
export function derivedAudiences(prefix: string): string[] {
  const lower = prefix.toLowerCase();
  return [`${lower}-api`, `${lower.replace(/_/g, "-")}-api`].filter(
    (value) => value !== DEFAULT_AUDIENCE,
  );
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off", ""]);

const text = z.string().trim().min(1);
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => TRUE.has(value) || FALSE.has(value), "must be a boolean")
  .transform((value) => TRUE.has(value));
const seconds = (max: number) => z.coerce.number().int().min(0).max(max);
/** Token record TTL defaults: with the change marker followed, and without. */
const TOKEN_CACHE_TTL_WITH_PROPAGATION = 300;
const TOKEN_CACHE_TTL_WITHOUT_PROPAGATION = 30;
const httpUrl = z
  .string()
  .trim()
  .url()
  .refine((value) => /^https?:\/\//i.test(value), "must start with http:// or https://")
  .transform((value) => value.replace(/\/+$/, ""));
const kvPath = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    "must be a KV path without leading or trailing '/'",
  );
const issuerName = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be a lower-case name");

/** Each variable: its schema and an example of a right value, for error messages. */
const VARIABLES = {
  NO_AUTH: { schema: flag, example: "0" },
  VAULT_URL: { schema: httpUrl, example: "http://vault:8200" },
  VAULT_TOKEN: { schema: text, example: "hvs.CAES... (prefer AppRole in production)" },
  VAULT_ROLE_ID: { schema: text, example: "6a1c5c2e-...-role-id" },
  VAULT_SECRET_ID: {
    schema: text,
    example: "(from `vault write -f auth/approle/role/<r>/secret-id`)",
  },
  VAULT_CREDS_FILE: { schema: text, example: DEFAULT_CREDS_FILE },
  VAULT_NAMESPACE: { schema: text, example: "admin/team-a" },
  VAULT_MOUNT: { schema: kvPath, example: DEFAULT_KV_MOUNT },
  VAULT_CACERT: { schema: text, example: "/etc/ssl/vault-ca.pem" },
  VAULT_TIMEOUT: { schema: seconds(300).pipe(z.number().min(1)), example: "5" },
  VAULT_PATH_PREFIX: { schema: kvPath, example: DEFAULT_PATH_PREFIX },
  AUTH_STORE: { schema: text, example: DEFAULT_STORE_FILE },
  AUDIENCE: { schema: text, example: DEFAULT_AUDIENCE },
  ISSUER: { schema: issuerName, example: "gofr-dig" },
  TRUSTED_ISSUERS: {
    schema: z
      .string()
      .transform((value) =>
        value
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean),
      )
      .pipe(z.array(issuerName).min(1)),
    example: "gofr-auth,gofr-dig,gofr-doc",
  },
  JWT_SECRET_TTL: { schema: seconds(86_400), example: String(DEFAULT_SECRET_TTL_SECONDS) },
  TOKEN_CACHE_TTL: {
    schema: seconds(3600),
    example: "300 (seconds until a revocation written without the change marker is seen)",
  },
  PROPAGATION_SECONDS: {
    schema: z.coerce.number().min(0).max(3600),
    example: `${DEFAULT_PROPAGATION_SECONDS} (0 turns the change marker poll off)`,
  },
  ROTATION_GRACE: { schema: seconds(30 * 86_400), example: "0 (or 3600 for a one-hour overlap)" },
  ALLOW_NONCANONICAL: { schema: flag, example: "0" },
  SECRET_SOURCE: {
    schema: z.enum(["store", "env"], { message: "must be store or env" }),
    example: "store",
  },
  STRICT_ISSUER_KEYS: { schema: flag, example: "0" },
  ISSUER_ALGORITHMS: {
    schema: issuerAlgorithmsSchema,
    example:
      "deposito=EdDSA,HS256;agent-x=EdDSA (per issuer; the first algorithm is what it mints)",
  },
  TRANSIT_MOUNT: { schema: kvPath, example: DEFAULT_TRANSIT_MOUNT },
  ACCEPT_SHARED_KEY: { schema: flag, example: "1 (0 once every issuer has its own key)" },
  ...VAULT_IDENTITY_VARIABLES,
} as const;

type VariableName = keyof typeof VARIABLES;
type Parsed = { [K in VariableName]?: z.output<(typeof VARIABLES)[K]["schema"]> };

/** Names of every variable read for `prefix` (for doctor and docs). */
export function variableNames(prefix: string): string[] {
  const normalized = normalizePrefix(prefix);
  return Object.keys(VARIABLES).map((name) => `${normalized}_${name}`);
}

/**
 * Validates the environment. Every invalid value is reported in one `config_invalid` error,
 * one line per variable naming it, what is wrong and an example of a right value.
 */
export function readAuthEnv(envPrefix: string, env: NodeJS.ProcessEnv): AuthEnv {
  const prefix = normalizePrefix(envPrefix);
  const parsed: Parsed = {};
  const problems: string[] = [];
  for (const [name, { schema, example }] of Object.entries(VARIABLES)) {
    const raw = env[`${prefix}_${name}`];
    if (raw === undefined || raw.trim() === "") continue;
    const result = schema.safeParse(raw);
    if (result.success) {
      (parsed as Record<string, unknown>)[name] = result.data;
    } else {
      const why = result.error.issues.map((issue) => issue.message).join("; ");
      problems.push(`${prefix}_${name}: ${why} (got ${shown(name, raw)}); e.g. ${example}`);
    }
  }

  const pathPrefix = parsed.VAULT_PATH_PREFIX ?? DEFAULT_PATH_PREFIX;
  const audience = parsed.AUDIENCE ?? DEFAULT_AUDIENCE;
  const allowNonCanonical = parsed.ALLOW_NONCANONICAL ?? false;
  if (!allowNonCanonical && derivedPathPrefixes(prefix).includes(pathPrefix)) {
    problems.push(
      `${prefix}_VAULT_PATH_PREFIX: '${pathPrefix}' is derived from the service prefix; every service must share one auth store (got '${pathPrefix}'); e.g. ${DEFAULT_PATH_PREFIX} (set ${prefix}_ALLOW_NONCANONICAL=1 only for a deliberate separate plane)`,
    );
  }
  if (!allowNonCanonical && derivedAudiences(prefix).includes(audience)) {
    problems.push(
      `${prefix}_AUDIENCE: '${audience}' is derived from the service prefix; tokens minted for the fleet carry '${DEFAULT_AUDIENCE}' (got '${audience}'); e.g. ${DEFAULT_AUDIENCE}`,
    );
  }
  const hasToken = parsed.VAULT_TOKEN !== undefined;
  const hasRole = parsed.VAULT_ROLE_ID !== undefined || parsed.VAULT_SECRET_ID !== undefined;
  if (hasToken && hasRole) {
    problems.push(
      `${prefix}_VAULT_TOKEN and ${prefix}_VAULT_ROLE_ID/_SECRET_ID: give one way to log in to Vault, not both; e.g. only ${prefix}_VAULT_ROLE_ID and ${prefix}_VAULT_SECRET_ID`,
    );
  }
  if (hasRole && (parsed.VAULT_ROLE_ID === undefined || parsed.VAULT_SECRET_ID === undefined)) {
    problems.push(
      `${prefix}_VAULT_ROLE_ID and ${prefix}_VAULT_SECRET_ID: AppRole needs both; e.g. set the missing one, or use the creds file ${DEFAULT_CREDS_FILE}`,
    );
  }
  const vaultIdentity = vaultIdentitySettings(prefix, parsed, problems);
  if (problems.length > 0) {
    throw new AuthError(
      "config_invalid",
      `Invalid auth configuration:\n  ${problems.join("\n  ")}`,
      { details: { problems } },
    );
  }

  const propagationSeconds = parsed.PROPAGATION_SECONDS ?? DEFAULT_PROPAGATION_SECONDS;
  const followsMarker = parsed.VAULT_URL !== undefined && propagationSeconds > 0;
  return {
    prefix,
    noAuth: parsed.NO_AUTH ?? false,
    vault:
      parsed.VAULT_URL === undefined
        ? undefined
        : {
            url: parsed.VAULT_URL,
            token: parsed.VAULT_TOKEN,
            roleId: parsed.VAULT_ROLE_ID,
            secretId: parsed.VAULT_SECRET_ID,
            credsFile: parsed.VAULT_CREDS_FILE ?? DEFAULT_CREDS_FILE,
            namespace: parsed.VAULT_NAMESPACE,
            mount: parsed.VAULT_MOUNT ?? DEFAULT_KV_MOUNT,
            caCertFile: parsed.VAULT_CACERT,
            timeoutSeconds: parsed.VAULT_TIMEOUT ?? DEFAULT_VAULT_TIMEOUT_SECONDS,
          },
    storeFile: parsed.AUTH_STORE ?? DEFAULT_STORE_FILE,
    pathPrefix,
    audience,
    issuer: parsed.ISSUER ?? OPERATOR_ISSUER,
    trustedIssuers: parsed.TRUSTED_ISSUERS,
    secretTtlSeconds: parsed.JWT_SECRET_TTL ?? DEFAULT_SECRET_TTL_SECONDS,
    tokenCacheTtlSeconds:
      parsed.TOKEN_CACHE_TTL ??
      (followsMarker ? TOKEN_CACHE_TTL_WITH_PROPAGATION : TOKEN_CACHE_TTL_WITHOUT_PROPAGATION),
    propagationSeconds,
    rotationGraceSeconds: parsed.ROTATION_GRACE ?? 0,
    secretSource: parsed.SECRET_SOURCE ?? "store",
    strictIssuerKeys: (parsed.STRICT_ISSUER_KEYS ?? false) || parsed.ACCEPT_SHARED_KEY === false,
    acceptSharedKey: parsed.ACCEPT_SHARED_KEY ?? true,
    allowNonCanonical,
    issuerAlgorithms: parsed.ISSUER_ALGORITHMS,
    transitMount: parsed.TRANSIT_MOUNT ?? DEFAULT_TRANSIT_MOUNT,
    vaultIdentity,
  };
}

/** Credentials are never echoed back, not even in an error about their shape. */
function shown(name: string, raw: string): string {
  if (name === "VAULT_TOKEN" || name === "VAULT_SECRET_ID") return "a value (hidden)";
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}...` : raw);
}
