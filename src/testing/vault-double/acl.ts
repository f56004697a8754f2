/**
 * Vault policies reduced to what services need: path rules (exact, `+` for one segment,
 * a trailing `*` for a prefix) with capabilities, evaluated as Vault does (merged across
 * the token's policies, then one rule chosen; see `acl-eval.ts`). `root` allows all.
 */
import { MergedAcl } from "./acl-eval.js";
import { fail } from "./http.js";

export type Capability =
  | "create"
  | "read"
  | "update"
  | "patch"
  | "delete"
  | "list"
  | "sudo"
  | "deny";

/** What callers of the double may write: Vault's capabilities plus `write` (create + update + patch). */
export type CapabilityInput = Capability | "write";

export interface PolicyRule {
  path: string;
  capabilities: Capability[];
}

const KNOWN: readonly Capability[] = [
  "create",
  "read",
  "update",
  "patch",
  "delete",
  "list",
  "sudo",
  "deny",
];

export function expandCapabilities(inputs: readonly string[]): Capability[] {
  const out = new Set<Capability>();
  for (const input of inputs) {
    if (input === "write") {
      out.add("create");
      out.add("update");
      out.add("patch");
    } else if ((KNOWN as readonly string[]).includes(input)) out.add(input as Capability);
    else throw fail(400, `invalid capability "${input}"`);
  }
  return [...out];
}

export class PolicyStore {
  private readonly policies = new Map<string, { rules: PolicyRule[]; text: string }>();

  set(name: string, rules: PolicyRule[], text = toHcl(rules)): void {
    if (name === "root") throw fail(400, "cannot update root policy");
    // Vault strips a leading "/" and refuses "+*" (vault/policy.go parsePaths).
    const clean = rules.map((rule) => ({ ...rule, path: rule.path.replace(/^\//, "") }));
    const bad = clean.find((rule) => rule.path.includes("+*"));
    if (bad) throw fail(400, `path "${bad.path}": invalid use of wildcards ('+*' is forbidden)`);
    this.policies.set(name, { rules: clean, text });
  }

  get(name: string): string | undefined {
    return this.policies.get(name)?.text;
  }

  delete(name: string): void {
    this.policies.delete(name);
  }

  names(): string[] {
    return [...this.policies.keys()].sort();
  }

  /**
   * Whether a token with `policies` may use `capability` on `path` (no leading `/v1/`), by
   * Vault's algorithm ({@link MergedAcl}). `list` marks a list operation.
   */
  allows(
    policies: readonly string[],
    path: string,
    capability: Capability,
    list = capability === "list",
  ): boolean {
    if (policies.includes("root")) return true;
    const granted = this.merged(policies).capabilities(path, list);
    return !granted.has("deny") && granted.has(capability);
  }

  /**
   * What `sys/capabilities-self` reports for `path`: `["root"]` for root, `["deny"]` when
   * no rule grants anything or the chosen rule denies, else the chosen rule's capabilities
   * sorted (hashicorp `vault/acl.go` `Capabilities`).
   */
  capabilities(policies: readonly string[], path: string): string[] {
    if (policies.includes("root")) return ["root"];
    const granted = this.merged(policies).capabilities(path, false);
    if (granted.size === 0 || granted.has("deny")) return ["deny"];
    return [...granted].sort();
  }

  private merged(policies: readonly string[]): MergedAcl {
    return new MergedAcl(
      policies.flatMap((name) => {
        const policy = this.policies.get(name);
        return policy ? [policy.rules] : [];
      }),
    );
  }
}

/**
 * The subset of HCL that policies use:
 * `path "secret/data/gofr/*" { capabilities = ["read", "list"] }`.
 */
export function parseHclPolicy(text: string): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const block = /path\s+"([^"]+)"\s*\{([^}]*)\}/g;
  for (const match of text.matchAll(block)) {
    const caps = /capabilities\s*=\s*\[([^\]]*)\]/.exec(match[2] ?? "");
    const names = [...(caps?.[1] ?? "").matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? "");
    rules.push({ path: match[1] ?? "", capabilities: expandCapabilities(names) });
  }
  if (rules.length === 0 && text.trim() !== "") {
    throw fail(400, "failed to parse policy: no path blocks found");
  }
  return rules;
}

export function toHcl(rules: readonly PolicyRule[]): string {
  return rules
    .map(
      (rule) =>
        `path "${rule.path}" {\n  capabilities = [${rule.capabilities.map((c) => `"${c}"`).join(", ")}]\n}`,
    )
    .join("\n\n");
}
