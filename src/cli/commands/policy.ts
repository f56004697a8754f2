/**
 * `gofr-auth policy`: the Vault policy one service needs, and nothing more. With HS256 a
 * key that verifies a token can also sign one, so a service that may read an issuer's
 * secret can mint tokens in that issuer's name: each service reads its own issuer's secret,
 * the shared one only while it still needs it, and other issuers' only when it verifies
 * their tokens (and is then trusted as much as they are). EdDSA issuers' keys are in Vault
 * Transit: every service may read their public halves, and only an issuer that mints EdDSA
 * may sign with its own (issue 18).
 */
import type { Command } from "commander";
import {
  DEFAULT_KV_MOUNT,
  DEFAULT_PATH_PREFIX,
  DEFAULT_TRANSIT_MOUNT,
  EDDSA_KEY_PREFIX,
  transitKeyName,
} from "../../defaults.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../secrets/source.js";
import { normalizeKvPath } from "../../vault/paths.js";
import type { CliContext } from "../context.js";
import { UsageError } from "../output.js";

/** What `<P>_ISSUER` accepts (src/config/env.ts): also a safe Vault path segment. */
const ISSUER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface ServicePolicyOptions {
  /** The service's own issuer (its `<P>_ISSUER`). */
  issuer: string;
  /**
   * Also read the shared secret: while the service signs with it (no own secret yet) or
   * accepts tokens signed with it (the operator's, the Python fleet's, older ones).
   */
  migrating: boolean;
  /** Other issuers whose tokens it verifies. Each of their keys also lets it sign as them. */
  verifies: readonly string[];
  /** KV v2 mount. Default `secret`. */
  mount?: string;
  /** Where token records and groups live. Default `gofr/auth`. */
  pathPrefix?: string;
  /** The service mints EdDSA tokens: it may sign with its issuer's Transit key. */
  mintsEdDsa?: boolean;
  /** Transit mount of the EdDSA keys. Default `transit`. */
  transitMount?: string;
}

/** One `path` block: the KV v2 ACL path, its capabilities and why the service needs it. */
export interface PolicyRule {
  path: string;
  capabilities: string[];
  why: string[];
}

/** The rules of one service's policy, most sensitive first. */
export function servicePolicyRules(options: ServicePolicyOptions): PolicyRule[] {
  const issuer = issuerName(options.issuer, "--issuer");
  const verifies = [...new Set(options.verifies.map((name) => issuerName(name, "--verifies")))]
    .filter((name) => name !== issuer)
    .sort();
  const mount = normalizeKvPath(options.mount ?? DEFAULT_KV_MOUNT);
  const prefix = normalizeKvPath(options.pathPrefix ?? DEFAULT_PATH_PREFIX);
  // KV v2 ACL paths: reads on `<mount>/data/...`, lists on `<mount>/metadata/...` (Vault's
  // kv plugin `path_data.go` / `path_metadata.go`; docs/vault-contract.md row D10).
  const data = (name: string) => `${mount}/data/${name}`;
  const rules: PolicyRule[] = [
    {
      path: data(issuerSecretName(issuer)),
      capabilities: ["read"],
      why: [`The signing secret of ${issuer} itself.`],
    },
  ];
  if (options.migrating) {
    rules.push({
      path: data(SHARED_SECRET_NAME),
      capabilities: ["read"],
      why: [
        "The shared signing secret, only while migrating: the service signs with it until its",
        "own secret exists and verifies tokens signed with it. Whoever reads it can mint",
        "shared-key tokens in the name of any issuer that still uses it.",
      ],
    });
  }
  for (const other of verifies) {
    rules.push({
      path: data(issuerSecretName(other)),
      capabilities: ["read"],
      why: [
        `Verifies the tokens of ${other}. HS256: the key that verifies also signs, so this`,
        `service can mint tokens in the name of ${other}.`,
      ],
    });
  }
  rules.push(
    {
      path: `${mount}/data/${prefix}/*`,
      capabilities: ["read"],
      why: ["Token records, groups and the change marker (_changes): read only."],
    },
    {
      path: `${mount}/metadata/${prefix}/*`,
      capabilities: ["list", "read"],
      why: ["Listing token records and groups."],
    },
    ...transitRules(issuer, options),
  );
  return rules;
}

/**
 * Transit ACL paths (docs/vault-contract.md row 44, hashicorp `builtin/logical/transit`):
 * reading a key, its public halves included, needs `read` on `<mount>/keys/<name>`; signing
 * is an update on `<mount>/sign/<name>` (no existence check, so never `create`).
 */
function transitRules(issuer: string, options: ServicePolicyOptions): PolicyRule[] {
  const mount = normalizeKvPath(options.transitMount ?? DEFAULT_TRANSIT_MOUNT);
  const rules: PolicyRule[] = [
    {
      path: `${mount}/keys/${EDDSA_KEY_PREFIX}*`,
      capabilities: ["read"],
      why: [
        "EdDSA issuers' public keys (Transit keys jwt-<issuer>), to verify their tokens.",
        "Reading a Transit key never gives its private half: no power to sign.",
      ],
    },
  ];
  if (options.mintsEdDsa) {
    rules.push({
      path: `${mount}/sign/${transitKeyName(issuer)}`,
      capabilities: ["update"],
      why: [`Mints EdDSA tokens as ${issuer}: signs with its Transit key, which stays in Vault.`],
    });
  }
  return rules;
}

/** The rules as HCL, each block under its reasons, after `header` comment lines. */
export function renderPolicy(header: readonly string[], rules: readonly PolicyRule[]): string {
  const blocks = rules.map((rule) =>
    [
      ...rule.why.map((line) => `# ${line}`),
      `path "${rule.path}" {`,
      `  capabilities = [${rule.capabilities.map((c) => `"${c}"`).join(", ")}]`,
      "}",
    ].join("\n"),
  );
  return `${[header.map((line) => `# ${line}`).join("\n"), ...blocks].join("\n\n")}\n`;
}

/** The command line that prints this policy, for its header. */
export function policyCommand(options: ServicePolicyOptions): string {
  const parts = ["gofr-auth policy --issuer", options.issuer];
  if (options.migrating) parts.push("--migrating");
  if (options.verifies.length > 0) parts.push("--verifies", options.verifies.join(","));
  if (options.mount && options.mount !== DEFAULT_KV_MOUNT) parts.push("--mount", options.mount);
  if (options.pathPrefix && options.pathPrefix !== DEFAULT_PATH_PREFIX) {
    parts.push("--path-prefix", options.pathPrefix);
  }
  if (options.mintsEdDsa) parts.push("--mints-eddsa");
  if (options.transitMount && options.transitMount !== DEFAULT_TRANSIT_MOUNT) {
    parts.push("--transit-mount", options.transitMount);
  }
  return parts.join(" ");
}

/** The whole policy file for one service. */
export function servicePolicy(options: ServicePolicyOptions): string {
  const rules = servicePolicyRules(options);
  const verifies = [...new Set(options.verifies)].filter((name) => name !== options.issuer);
  return renderPolicy(
    [
      `Vault policy of the service whose issuer is ${options.issuer}: the signing secrets it`,
      options.mintsEdDsa
        ? "needs, the auth records (read only) and its own EdDSA key to sign with. Printed by:"
        : "needs and the auth records, read only. Printed by:",
      `  ${policyCommand({ ...options, verifies: verifies.sort() })}`,
    ],
    rules,
  );
}

const HELP = `
Each service should read only its own issuer's signing secret. With HS256 the key that
verifies a token is the key that signs it: a service that can read an issuer's secret can
mint tokens (admin ones included, if that issuer may grant admin) in that issuer's name.

  --migrating      also read the shared secret (gofr/config/jwt-signing-secret). Needed
                   while this service has no own secret yet, or accepts tokens signed with
                   the shared key (the operator's gofr-auth tokens while gofr-auth has no
                   own secret, the Python fleet's). Drop it once the fleet is in strict
                   mode (<P>_STRICT_ISSUER_KEYS=1) and no one mints with the shared key.
  --verifies Y,Z   also read the secrets of issuers Y and Z, to verify their tokens. This
                   service can then ALSO MINT tokens as Y and Z: give it only for issuers
                   you trust it to impersonate. List the issuers it accepts in
                   <P>_TRUSTED_ISSUERS, so a token naming any other issuer's key is
                   refused before Vault is asked.
  --mints-eddsa    the service mints EdDSA tokens (<P>_ISSUER_ALGORITHMS lists EdDSA
                   first for its issuer): may sign with its own Transit key
                   (transit/sign/jwt-<issuer>). Every policy may read EdDSA issuers'
                   public keys (transit/keys/jwt-*); only the minter may sign.

Example:
  gofr-auth policy --issuer billing --migrating | vault policy write gofr-billing -
  vault write auth/approle/role/gofr-billing token_policies=gofr-billing

Check a running service's identity with \`gofr-auth doctor --issuers <the fleet's issuers>\`
(findings key_scope_*).
See docs/operations.md, "Key isolation".`;

export function registerPolicy(program: Command, ctx: CliContext): void {
  program
    .command("policy")
    .description("print the Vault policy (HCL) of one service: its own signing secret only")
    .requiredOption("-i, --issuer <name>", "the service's issuer (its <P>_ISSUER)")
    .option("--migrating", "also read the shared signing secret (see below)")
    .option("--verifies <issuers>", "also read these issuers' secrets (comma-separated)")
    .option("--mount <mount>", "KV v2 mount", DEFAULT_KV_MOUNT)
    .option("--path-prefix <prefix>", "where token records and groups live", DEFAULT_PATH_PREFIX)
    .option("--mints-eddsa", "may sign with its issuer's Transit key (see below)")
    .option("--transit-mount <mount>", "Transit mount of EdDSA keys", DEFAULT_TRANSIT_MOUNT)
    .addHelpText("after", HELP)
    .action(
      (options: {
        issuer: string;
        migrating?: boolean;
        verifies?: string;
        mount: string;
        pathPrefix: string;
        mintsEddsa?: boolean;
        transitMount: string;
      }) => {
        const chosen: ServicePolicyOptions = {
          issuer: options.issuer,
          migrating: options.migrating ?? false,
          verifies: (options.verifies ?? "")
            .split(",")
            .map((name) => name.trim())
            .filter(Boolean),
          mount: options.mount,
          pathPrefix: options.pathPrefix,
          mintsEdDsa: options.mintsEddsa ?? false,
          transitMount: options.transitMount,
        };
        const rules = servicePolicyRules(chosen);
        const hcl = servicePolicy(chosen);
        ctx.emit(hcl, {
          issuer: chosen.issuer,
          migrating: chosen.migrating,
          verifies: chosen.verifies,
          rules: rules.map(({ path, capabilities }) => ({ path, capabilities })),
          hcl,
        });
      },
    );
}

function issuerName(name: string, flag: string): string {
  if (!ISSUER_NAME.test(name)) {
    throw new UsageError(
      `${flag}: '${name}' is not an issuer name (lower-case a-z, 0-9, '-', '_'; at most 64)`,
    );
  }
  return name;
}
