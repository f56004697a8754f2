/**
 * `gofr-auth policy`: the Vault policy one service needs, and nothing more. With HS256 a
 * key that verifies a token can also sign one, so a service that may read an issuer's
 * secret can mint tokens in that issuer's name: each service reads its own issuer's secret,
 * the shared one only while it still needs it, and other issuers' only when it verifies
 * their tokens (and is then trusted as much as they are).
 */
import type { Command } from "commander";
import { DEFAULT_KV_MOUNT, DEFAULT_PATH_PREFIX } from "../../defaults.js";
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
  );
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
  return parts.join(" ");
}

/** The whole policy file for one service. */
export function servicePolicy(options: ServicePolicyOptions): string {
  const rules = servicePolicyRules(options);
  const verifies = [...new Set(options.verifies)].filter((name) => name !== options.issuer);
  return renderPolicy(
    [
      `Vault policy of the service whose issuer is ${options.issuer}: the signing secrets it`,
      "needs and the auth records, read only. Printed by:",
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
    .addHelpText("after", HELP)
    .action(
      (options: {
        issuer: string;
        migrating?: boolean;
        verifies?: string;
        mount: string;
        pathPrefix: string;
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
