/**
 * The Vault policies of the compose stack (docker/policies/*.hcl, written by vault-init.sh):
 * each running service reads only its own issuer's signing secret (plus the shared one while
 * the stack migrates) and the auth records, never another service's key; the admin policy
 * may write what `gofr-auth init` and the CLI write.
 */
import { servicePolicyRules } from "../../src/cli/commands/policy.js";
import { issuerSecretName } from "../../src/secrets/source.js";
import type { Capability } from "../../src/testing/vault-double/acl.js";
import { MergedAcl } from "../../src/testing/vault-double/acl-eval.js";
import {
  authServices,
  envPrefixOf,
  isCli,
  issuerOf,
  roleOf,
  type Stack,
  scriptPolicies,
} from "./stack.js";

export interface PolicyRule {
  path: string;
  capabilities: string[];
}

export function parsePolicy(text: string): PolicyRule[] {
  return [...text.matchAll(/path\s+"([^"]+)"\s*\{([^}]*)\}/g)].map((m) => ({
    path: m[1] ?? "",
    capabilities: [
      ...(/capabilities\s*=\s*\[([^\]]*)\]/.exec(m[2] ?? "")?.[1] ?? "").matchAll(/"([^"]+)"/g),
    ].map((c) => c[1] ?? ""),
  }));
}

/** Whether Vault's ACL algorithm (the double's `MergedAcl`) lets `rules` read `path`. */
function mayRead(rules: readonly PolicyRule[], path: string): boolean {
  const acl = new MergedAcl([
    rules.map((rule) => ({ ...rule, capabilities: rule.capabilities as Capability[] })),
  ]);
  const granted = acl.capabilities(path, false);
  return granted.has("read") && !granted.has("deny");
}

/**
 * Each running service: its own issuer, and a policy with exactly the rules
 * `gofr-auth policy --issuer <issuer> --migrating` prints, under which it cannot read any
 * other service's signing secret. gofr-admin: may write what `init` writes.
 */
export function checkPolicies(stack: Stack): string[] {
  const problems: string[] = [];
  const files = new Map(scriptPolicies(stack.vaultInit).map((p) => [p.name, p.file]));
  const services = authServices(stack).filter(([, service]) => !isCli(service));
  const owners = new Map<string, string>();
  for (const [name, service] of services) {
    const issuer = issuerOf(service);
    if (!issuer) {
      problems.push(`${name}: ${envPrefixOf(service)}_ISSUER is not set (each service its own)`);
      continue;
    }
    const other = owners.get(issuer);
    if (other) problems.push(`${name}: issuer ${issuer} is also ${other}'s`);
    owners.set(issuer, name);
  }
  for (const [name, service] of services) {
    const issuer = issuerOf(service);
    const policy = roleOf(stack, service)?.policy;
    const file = policy && files.get(policy);
    if (!issuer || !policy || !file) continue; // reported by checkCredsFiles / above
    const rules = parsePolicy(stack.policies[file] ?? "");
    const expected = servicePolicyRules({ issuer, migrating: true, verifies: [] });
    for (const rule of rules) {
      const extra = rule.capabilities.filter((c) => c !== "read" && c !== "list");
      if (extra.length > 0) problems.push(`${policy}: ${rule.path} grants ${extra.join(", ")}`);
      if (!expected.some((e) => e.path === rule.path)) {
        problems.push(`${policy}: unexpected path ${rule.path}`);
      }
    }
    for (const { path, capabilities } of expected) {
      const rule = rules.find((r) => r.path === path);
      for (const capability of capabilities) {
        if (!rule?.capabilities.includes(capability)) {
          problems.push(`${policy}: needs ${capability} on ${path}`);
        }
      }
    }
    for (const [otherIssuer, otherService] of owners) {
      const path = `secret/data/${issuerSecretName(otherIssuer)}`;
      if (otherService !== name && mayRead(rules, path)) {
        problems.push(`${policy} (${name}): can read ${otherIssuer}'s signing secret ${path}`);
      }
    }
  }
  const admin = parsePolicy(stack.policies["gofr-admin.hcl"] ?? "");
  for (const path of ["secret/data/gofr/auth/*", "secret/data/gofr/config/jwt-signing-secret"]) {
    const rule = admin.find((r) => r.path === path);
    for (const capability of ["create", "read", "update"]) {
      if (!rule?.capabilities.includes(capability)) {
        problems.push(`gofr-admin: needs ${capability} on ${path}`);
      }
    }
  }
  return problems;
}
