/**
 * `<P>_VAULT_IDENTITY_*`: accepting Vault identity tokens (`identity/oidc/token/<role>`)
 * next to ours, so one service can call another with nothing but its own Vault login.
 * `<P>_VAULT_IDENTITY_AUDIENCE` (the Vault role's `client_id`) turns it on; the keys are
 * read from `<P>_VAULT_URL`, which is therefore required.
 */
import { z } from "zod";
import type { Clock } from "../clock.js";
import {
  VAULT_IDENTITY_ALGORITHMS,
  type VaultIdentityAlgorithm,
  VaultIdentityVerifier,
} from "../identity/vault-identity.js";
import type { Logger } from "../log.js";
import type { AuthEnv } from "./env.js";

/** The settings, checked, with defaults applied. */
export interface VaultIdentitySettings {
  /** The `aud` accepted: the client_id of the Vault role callers fetch tokens of. */
  audience: string;
  /** The exact `iss`; default `<VAULT_URL>/v1/[<namespace>/]identity/oidc`. */
  issuer: string;
  /** The Vault key's algorithms, never taken from a token. Default `["RS256"]`. */
  algorithms: VaultIdentityAlgorithm[];
  /** The claim holding group names (a list of strings, or one). Default `groups`. */
  groupsClaim: string;
}

/** By their spelling in any case. */
const ALGORITHMS = new Map<string, VaultIdentityAlgorithm>(
  VAULT_IDENTITY_ALGORITHMS.map((algorithm) => [algorithm.toLowerCase(), algorithm]),
);

/** Claims that always hold something else than group names. */
const NOT_GROUPS = new Set(["iss", "aud", "exp", "iat", "nbf"]);

const algorithmList = z.string().transform((raw, context) => {
  const names = raw.split(",").map((name) => name.trim());
  const list: VaultIdentityAlgorithm[] = [];
  for (const name of names) {
    const algorithm = ALGORITHMS.get(name.toLowerCase());
    if (!algorithm) {
      context.addIssue({
        code: "custom",
        message: `${JSON.stringify(name.slice(0, 20))} is not one of ${VAULT_IDENTITY_ALGORITHMS.join(", ")}`,
      });
      return z.NEVER;
    }
    if (!list.includes(algorithm)) list.push(algorithm);
  }
  return list;
});

/** Vault's effective issuer always ends so (docs/vault-contract.md row 64, `getOIDCConfig`). */
const issuerUrl = z
  .string()
  .trim()
  .url()
  .refine((value) => /^https?:\/\//i.test(value), "must start with http:// or https://")
  .transform((value) => value.replace(/\/+$/, ""))
  .refine(
    (value) => /\/v1\/(?:.+\/)?identity\/oidc$/.test(value),
    "must be Vault's identity issuer, ending in /v1/identity/oidc",
  );

const claimName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.:/-]{1,128}$/, "must be a claim name")
  .refine((value) => !NOT_GROUPS.has(value), "is a standard claim that holds no group names");

/** The variables, for `readAuthEnv`'s table: schema and an example of a right value. */
export const VAULT_IDENTITY_VARIABLES = {
  VAULT_IDENTITY_AUDIENCE: {
    schema: z.string().trim().min(1),
    example: "(the role's client_id: vault read -field=client_id identity/oidc/role/<role>)",
  },
  VAULT_IDENTITY_ISSUER: {
    schema: issuerUrl,
    example: "https://vault.internal:8200/v1/identity/oidc (default <VAULT_URL>/v1/identity/oidc)",
  },
  VAULT_IDENTITY_ALGORITHMS: {
    schema: algorithmList,
    example: "RS256 (the Vault key's algorithm; several separated by ',')",
  },
  VAULT_IDENTITY_GROUPS_CLAIM: { schema: claimName, example: "groups" },
} as const;

/** What `readAuthEnv` parsed, as far as this needs. */
export interface ParsedVaultIdentity {
  VAULT_URL?: string;
  VAULT_NAMESPACE?: string;
  VAULT_IDENTITY_AUDIENCE?: string;
  VAULT_IDENTITY_ISSUER?: string;
  VAULT_IDENTITY_ALGORITHMS?: VaultIdentityAlgorithm[];
  VAULT_IDENTITY_GROUPS_CLAIM?: string;
}

/**
 * The settings when `<P>_VAULT_IDENTITY_AUDIENCE` is set, else undefined; what is wrong
 * across variables goes into `problems` (one line each, as `readAuthEnv` reports them).
 */
export function vaultIdentitySettings(
  prefix: string,
  parsed: ParsedVaultIdentity,
  problems: string[],
): VaultIdentitySettings | undefined {
  const audience = parsed.VAULT_IDENTITY_AUDIENCE;
  if (audience === undefined) {
    const stray = (["ISSUER", "ALGORITHMS", "GROUPS_CLAIM"] as const).filter(
      (name) => parsed[`VAULT_IDENTITY_${name}`] !== undefined,
    );
    for (const name of stray) {
      problems.push(
        `${prefix}_VAULT_IDENTITY_${name}: only read when ${prefix}_VAULT_IDENTITY_AUDIENCE turns Vault identity tokens on; e.g. set ${prefix}_VAULT_IDENTITY_AUDIENCE to the role's client_id, or unset this`,
      );
    }
    return undefined;
  }
  if (parsed.VAULT_URL === undefined) {
    problems.push(
      `${prefix}_VAULT_IDENTITY_AUDIENCE: Vault identity tokens need ${prefix}_VAULT_URL (Vault's published keys are read there); e.g. ${prefix}_VAULT_URL=http://vault:8200`,
    );
    return undefined;
  }
  return {
    audience,
    issuer: parsed.VAULT_IDENTITY_ISSUER ?? defaultIssuer(parsed.VAULT_URL, parsed.VAULT_NAMESPACE),
    algorithms: parsed.VAULT_IDENTITY_ALGORITHMS ?? ["RS256"],
    groupsClaim: parsed.VAULT_IDENTITY_GROUPS_CLAIM ?? "groups",
  };
}

/**
 * Vault's issuer when its `api_addr` is the address this service uses and no
 * `identity/oidc/config` issuer is set: `<addr>/v1/<namespace path>identity/oidc`
 * (docs/vault-contract.md row 64, `getOIDCConfig`).
 */
function defaultIssuer(vaultUrl: string, namespace: string | undefined): string {
  const path = (namespace ?? "").replace(/^\/+|\/+$/g, "");
  return `${vaultUrl}/v1/${path ? `${path}/` : ""}identity/oidc`;
}

/** The verifier for these settings, over the service's Vault address, namespace and CA. */
export function createVaultIdentityVerifier(
  identity: VaultIdentitySettings,
  vault: Pick<NonNullable<AuthEnv["vault"]>, "url" | "namespace" | "caCertFile" | "timeoutSeconds">,
  options: { clock: Clock; logger: Logger },
): VaultIdentityVerifier {
  return new VaultIdentityVerifier({
    vaultUrl: vault.url,
    namespace: vault.namespace,
    issuer: identity.issuer,
    audience: identity.audience,
    algorithms: identity.algorithms,
    groupsFrom: { claim: identity.groupsClaim },
    caFile: vault.caCertFile,
    timeoutMs: vault.timeoutSeconds * 1000,
    clock: options.clock,
    logger: options.logger,
  });
}
