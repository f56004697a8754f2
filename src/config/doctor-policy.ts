/**
 * `doctor` on the service's access to Vault: whether its own identity may read signing
 * secrets it does not need (with HS256 a key that verifies also signs, so each readable key
 * is an issuer this service could impersonate), and whether it talks to Vault in clear.
 *
 * The scope is asked of Vault, never probed by reading: `POST sys/capabilities-self
 * {"paths": [...]}` answers, for the calling token, the capabilities on each path (hashicorp
 * `vault/logical_system.go` `handleCapabilities`: `data` keyed by path, plus `capabilities`
 * when one path is asked; `["deny"]` when nothing is granted, `["root"]` for a root token).
 * Vault's built-in `default` policy grants `update` on it. Reading another issuer's secret
 * to test access would itself copy that key into this process.
 *
 * EdDSA issuers (issue 18) keep their private keys in Vault Transit, so there the power to
 * mint is `update` on `<transit>/sign/<key>` (docs/vault-contract.md row 44), asked the same way.
 */
import { transitKeyName } from "../defaults.js";
import { describeError, isAuthError } from "../errors.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../secrets/source.js";
import { OPERATOR_ISSUER } from "../tokens/claims.js";
import { isLoopbackHost } from "../vault/client-options.js";
import { withVaultClient } from "./backends.js";
import type { FindingLevel } from "./doctor.js";
import type { AuthEnv } from "./env.js";

type Add = (level: FindingLevel, code: string, message: string, fix?: string) => void;
type VaultSettings = NonNullable<AuthEnv["vault"]>;

/**
 * An issuer name no service can have (`<P>_ISSUER` must start with a-z or 0-9): a policy
 * that lets the service read this path grants every issuer's secret, by a glob.
 */
export const PROBE_ISSUER = "_gofr-doctor-probe_";

/** `http://` to a host other than loopback: tokens, secret_ids and secrets in clear. */
export function checkPlainHttp(url: string, prefix: string, add: Add): void {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" || isLoopbackHost(parsed.hostname)) return;
  add(
    "warn",
    "vault_plain_http",
    `${prefix}_VAULT_URL is plain HTTP to ${parsed.host}: Vault tokens, the AppRole secret_id and the signing secrets cross the network unencrypted`,
    `use https:// (with ${prefix}_VAULT_CACERT for a private CA); plain HTTP is for a Vault on this machine or a private dev network only`,
  );
}

/** What the service's identity may do on each KV path, as Vault answers it. */
export type Capabilities = Readonly<Record<string, readonly string[]>>;

/**
 * Asks Vault for this identity's capabilities on `paths` with the service's own client
 * settings; the answer, or the error that kept Vault from answering.
 */
async function askCapabilities(
  vault: VaultSettings,
  paths: string[],
): Promise<{ ok: true; caps: Capabilities } | { ok: false; error: unknown }> {
  try {
    return await withVaultClient(vault, async (client) => {
      const body = await client.request("POST", "sys/capabilities-self", { body: { paths } });
      return { ok: true, caps: capabilitiesOf(body, paths) } as const;
    });
  } catch (error) {
    return { ok: false, error };
  }
}

/** Each path's list from `data` (or, as older answers put it, the top level). */
function capabilitiesOf(body: unknown, paths: readonly string[]): Capabilities {
  const top = (body ?? {}) as Record<string, unknown>;
  const data = (top.data ?? {}) as Record<string, unknown>;
  const caps: Record<string, string[]> = {};
  for (const path of paths) {
    const listed = data[path] ?? top[path];
    caps[path] = Array.isArray(listed) ? listed.filter((c) => typeof c === "string") : [];
  }
  return caps;
}

const canRead = (caps: readonly string[] = []) =>
  !caps.includes("deny") && (caps.includes("read") || caps.includes("root"));
const canWrite = (caps: readonly string[] = []) =>
  !caps.includes("deny") && ["create", "update", "patch", "root"].some((c) => caps.includes(c));

/**
 * Which signing secrets the service's Vault identity may read: its own issuer's (needed),
 * the shared one (needed unless strict), its trusted issuers' (needed to verify them, and a
 * power to mint as them), and any other (never needed: reported). Vault lists no issuers to
 * a service, so "any other" is asked as a name no issuer has (a glob would grant it) and as
 * `otherIssuers`, the fleet's issuers when the operator names them.
 */
export async function checkKeyScope(
  settings: AuthEnv,
  add: Add,
  otherIssuers: readonly string[] = [],
): Promise<void> {
  const vault = settings.vault;
  if (!vault) return;
  const path = (name: string) => `${vault.mount}/data/${name}`;
  const own = path(issuerSecretName(settings.issuer));
  const shared = path(SHARED_SECRET_NAME);
  const probe = path(issuerSecretName(PROBE_ISSUER));
  const trusted = (settings.trustedIssuers ?? []).filter((name) => name !== settings.issuer);
  const others = [...new Set(otherIssuers)].filter(
    (name) => name !== settings.issuer && !trusted.includes(name),
  );
  const answer = await askCapabilities(vault, [
    own,
    shared,
    probe,
    ...[...trusted, ...others].map((name) => path(issuerSecretName(name))),
  ]);
  if (!answer.ok) {
    reportUnchecked(answer.error, settings.prefix, add);
    return;
  }
  const caps = answer.caps;
  if (reportWideScope(settings, caps[probe], probe, add)) return;

  let clean = true;
  const warn = (code: string, message: string, fix: string) => {
    clean = false;
    add("warn", code, message, fix);
  };
  const policyHint = `gofr-auth policy --issuer ${settings.issuer}`;
  if (!canRead(caps[own])) {
    warn(
      "key_scope_own_unreadable",
      `This identity may not read its own issuer's signing secret ${own}: once it exists (gofr-auth secrets generate --issuer ${settings.issuer}) this service cannot sign or verify its own tokens`,
      `give the role the policy printed by \`${policyHint}\``,
    );
  }
  if (!settings.strictIssuerKeys && !canRead(caps[shared])) {
    warn(
      "key_scope_shared_unreadable",
      `This identity may not read the shared signing secret ${shared}, but without strict mode the service signs with it until its own exists and verifies tokens signed with it`,
      `add --migrating to \`${policyHint}\`, or set ${settings.prefix}_STRICT_ISSUER_KEYS=1 once every issuer has its own secret`,
    );
  }
  const extra = others.filter((name) => canRead(caps[path(issuerSecretName(name))]));
  if (extra.length > 0) {
    warn(
      "key_scope_extra",
      `This identity may read the signing secrets of ${extra.join(", ")}, whose tokens it does not verify (not in ${settings.prefix}_TRUSTED_ISSUERS): with HS256 a compromised ${settings.issuer} could mint tokens in their name`,
      `remove those rules from its policy (\`${policyHint}\` prints what it needs), or list them in ${settings.prefix}_TRUSTED_ISSUERS if it must verify them`,
    );
  }
  const readable = trusted.filter((name) => canRead(caps[path(issuerSecretName(name))]));
  const unreadable = trusted.filter((name) => !readable.includes(name));
  if (unreadable.length > 0) {
    warn(
      "key_scope_trusted_unreadable",
      `${settings.prefix}_TRUSTED_ISSUERS names ${unreadable.join(", ")}, whose own signing secrets this identity may not read: their own-key tokens fail here (while they sign with the shared key they verify)`,
      `if this service must verify them, add --verifies ${unreadable.join(",")} to \`${policyHint}\` (with HS256 it can then also mint as them); else drop them from ${settings.prefix}_TRUSTED_ISSUERS`,
    );
  }
  if (clean) {
    const verifies = readable.length > 0 ? `, and those of ${readable.join(", ")}` : "";
    // Unset, any issuer is accepted: a token naming a key this identity may not read then
    // costs a Vault request before it is refused.
    const trust =
      settings.trustedIssuers === undefined
        ? `; ${settings.prefix}_TRUSTED_ISSUERS is unset, so tokens naming other issuers' keys are looked up in Vault before they fail (set it, e.g. ${OPERATOR_ISSUER},${settings.issuer})`
        : "";
    const checked = others.length > 0 ? ` (checked: ${others.join(", ")})` : "";
    add(
      "ok",
      "key_scope_ok",
      `This identity may read its own issuer's signing secret${canRead(caps[shared]) ? ", the shared one" : ""}${verifies}; no rule grants every issuer's, nor those of the other issuers named${checked} (asked Vault: sys/capabilities-self)${trust}`,
    );
  }
}

/** True (and reported) when the identity may read any issuer's secret, by glob or root. */
function reportWideScope(
  settings: AuthEnv,
  probeCaps: readonly string[] | undefined,
  probe: string,
  add: Add,
): boolean {
  if (!canRead(probeCaps)) return false;
  const fix = `give this service's role only the policy printed by \`gofr-auth policy --issuer ${settings.issuer}\` (docs/operations.md, "Key isolation")`;
  if (probeCaps?.includes("root")) {
    add(
      "warn",
      "key_scope_root",
      "This identity is a Vault root token: it may read and replace every issuer's signing secret, so a leak of this service is a leak of the whole fleet's keys",
      fix,
    );
  } else if (canWrite(probeCaps) && settings.issuer === OPERATOR_ISSUER) {
    add(
      "ok",
      "key_scope_operator",
      `This identity may create and read every issuer's signing secret (${probe} as an example): the operator identity the CLI needs; never give its role to a running service`,
    );
  } else {
    add(
      "warn",
      "key_scope_wide",
      `This identity may read any issuer's signing secret (Vault grants it ${probe}, a name no issuer has): with HS256 a compromised ${settings.issuer} could mint tokens, admin ones included, in every issuer's name`,
      fix,
    );
  }
  return true;
}

/**
 * Vault would not say, so the scope is unknown: a warning either way. A 404 or 405 means the
 * server does not serve the endpoint, which every Vault does (not a Vault, or a proxy in
 * front of it that drops the path). A 403 means the role lacks Vault's `default` policy,
 * which grants it (hashicorp `vault/policy_store.go` `defaultPolicy`).
 */
function reportUnchecked(error: unknown, prefix: string, add: Add): void {
  const status = isAuthError(error) ? error.details.status : undefined;
  if (status === 404 || status === 405) {
    add(
      "warn",
      "key_scope_unchecked",
      `Not checked which signing secrets this identity may read: the server at ${prefix}_VAULT_URL does not serve sys/capabilities-self (${String(status)})`,
      `point ${prefix}_VAULT_URL at Vault itself (or let the proxy in front of it pass sys/capabilities-self), then run doctor again`,
    );
    return;
  }
  add(
    "warn",
    "key_scope_unchecked",
    `Could not ask Vault which signing secrets this identity may read (sys/capabilities-self): ${describeError(error)}`,
    status === 403
      ? 'keep Vault\'s default policy on the role (token_no_default_policy=false), or grant path "sys/capabilities-self" { capabilities = ["update"] }'
      : "check that Vault is reachable with this service's credentials",
  );
}

/** EdDSA issuers as the Transit check sees them. */
export interface TransitScope {
  /** The Transit mount of the issuers' keys (`<P>_TRANSIT_MOUNT`). */
  mount: string;
  /** Issuers whose tokens may be EdDSA: this service reads their public keys. */
  issuers: readonly string[];
  /** Those this process mints EdDSA tokens for: the only keys it may sign with. */
  mints: readonly string[];
}

/**
 * The scope from `<P>_ISSUER_ALGORITHMS`: every issuer whose list holds EdDSA; the process
 * mints only as its own issuer, and EdDSA only when that issuer's list starts with it.
 */
export function transitScopeOf(settings: AuthEnv): TransitScope {
  const lists = settings.issuerAlgorithms ?? {};
  const issuers = Object.keys(lists).filter((issuer) => lists[issuer]?.includes("EdDSA"));
  const mints = lists[settings.issuer]?.[0] === "EdDSA" ? [settings.issuer] : [];
  return { mount: settings.transitMount, issuers, mints };
}

/**
 * Whether the identity may sign with EdDSA issuers' Transit keys it does not mint for (a
 * verifying service must not be able to mint), sign with its own when it mints, and read the
 * public keys it verifies with. Besides the configured issuers and `otherIssuers`, a key no
 * issuer has is asked: a glob over the sign paths grants it. Nothing when no issuer is EdDSA.
 */
export async function checkTransitScope(
  settings: AuthEnv,
  add: Add,
  scope: TransitScope = transitScopeOf(settings),
  otherIssuers: readonly string[] = [],
): Promise<void> {
  const vault = settings.vault;
  if (!vault || scope.issuers.length === 0) return;
  const keys = (issuer: string) => `${scope.mount}/keys/${transitKeyName(issuer)}`;
  const sign = (issuer: string) => `${scope.mount}/sign/${transitKeyName(issuer)}`;
  // `sign/<key>/<hash>` is the same operation (row 44); for ed25519 the hash is ignored.
  const signPaths = (issuer: string) => [sign(issuer), `${sign(issuer)}/sha2-256`];
  const notMinted = [...new Set([PROBE_ISSUER, ...scope.issuers, ...otherIssuers])].filter(
    (issuer) => !scope.mints.includes(issuer),
  );
  const answer = await askCapabilities(vault, [
    ...new Set([
      ...scope.issuers.map(keys),
      ...scope.mints.map(sign),
      ...notMinted.flatMap(signPaths),
    ]),
  ]);
  if (!answer.ok) {
    add(
      "warn",
      "transit_scope_unchecked",
      `Could not ask Vault which EdDSA issuers' Transit keys this identity may sign with (sys/capabilities-self): ${describeError(answer.error)}`,
      "check that Vault is reachable with this service's credentials and that the role keeps Vault's default policy",
    );
    return;
  }
  const caps = answer.caps;
  // A root token is reported by the key-scope check (key_scope_root).
  if (Object.values(caps).some((list) => list.includes("root"))) return;
  // Each issuer whose key it may sign with, and the path Vault grants it on.
  const signs = new Map<string, string>();
  for (const issuer of notMinted) {
    const granted = signPaths(issuer).find((path) => canWrite(caps[path]));
    if (granted) signs.set(issuer, granted);
  }
  const operator = settings.issuer === OPERATOR_ISSUER && signs.size > 0;
  if (operator) {
    add(
      "ok",
      "transit_scope_operator",
      `This identity may sign with EdDSA issuers' Transit keys (${[...signs.values()][0]} as an example): the operator identity the CLI needs; never give its role to a running service`,
    );
  }
  const findings = [
    operator ? undefined : signingFinding(settings, scope, signs),
    ...missingFindings(settings, scope, caps, keys, sign),
  ].filter((finding) => finding !== undefined);
  for (const finding of findings) add("warn", ...finding);
  if (findings.length === 0 && !operator) {
    add(
      "ok",
      "transit_scope_ok",
      `This identity may read the Transit keys of the EdDSA issuers ${scope.issuers.join(", ")}${scope.mints.length > 0 ? ` and sign with ${sign(settings.issuer)}` : ""}, and sign with no other (asked Vault: sys/capabilities-self)`,
    );
  }
}

type TransitWarning = [code: string, message: string, fix: string];

/** Signing rights (issuer to granted path) on keys it does not mint for: a glob, or named keys. */
function signingFinding(
  settings: AuthEnv,
  scope: TransitScope,
  signs: ReadonlyMap<string, string>,
): TransitWarning | undefined {
  if (signs.size === 0) return undefined;
  const policyHint = `\`gofr-auth policy --issuer ${settings.issuer}${scope.mints.length > 0 ? " --mints-eddsa" : ""}\` prints what it needs`;
  const probe = signs.get(PROBE_ISSUER);
  if (probe) {
    return [
      "transit_sign_wide",
      `This identity may sign with any EdDSA issuer's Transit key (Vault grants update on ${probe}, a key no issuer has): a compromised ${settings.issuer} could mint EdDSA tokens in every issuer's name`,
      `remove the glob rule from its policy, e.g. path "${scope.mount}/sign/*" or path "${scope.mount}/sign/jwt-*" with update; ${policyHint}`,
    ];
  }
  const paths = [...signs.values()];
  return [
    "transit_sign_extra",
    `This identity may sign with the Transit keys of ${[...signs.keys()].join(", ")} (update on ${paths.join(", ")}) but this process does not mint for them: a service that only verifies their tokens could mint EdDSA tokens in their name`,
    `remove from its policy the rule that grants update on ${paths.join(", ")} (path "${paths[0]}" or a glob covering it, such as path "${scope.mount}/sign/jwt-*"); ${policyHint}`,
  ];
}

/** What the process needs and lacks: signing as its own issuer, reading public keys. */
function missingFindings(
  settings: AuthEnv,
  scope: TransitScope,
  caps: Capabilities,
  keys: (issuer: string) => string,
  sign: (issuer: string) => string,
): TransitWarning[] {
  const found: TransitWarning[] = [];
  const policyHint = `gofr-auth policy --issuer ${settings.issuer}`;
  const cannotSign = scope.mints.filter((issuer) => !canWrite(caps[sign(issuer)]));
  if (cannotSign.length > 0) {
    found.push([
      "transit_sign_missing",
      `This process mints EdDSA tokens as ${cannotSign.join(", ")}, but this identity may not sign with ${cannotSign.map(sign).join(", ")}: minting will fail (403)`,
      `give the role the policy printed by \`${policyHint} --mints-eddsa\``,
    ]);
  }
  const unreadable = scope.issuers.filter((issuer) => !canRead(caps[keys(issuer)]));
  if (unreadable.length > 0) {
    found.push([
      "transit_keys_unreadable",
      `This identity may not read the Transit keys ${unreadable.map(keys).join(", ")}: tokens of ${unreadable.join(", ")} cannot be verified here`,
      `grant read on ${scope.mount}/keys/jwt-* (\`${policyHint}\` prints it)`,
    ]);
  }
  return found;
}
