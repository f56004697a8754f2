/**
 * Vault policies reduced to what services need: path rules (exact, `+` for one segment,
 * a trailing `*` for a prefix) with capabilities. Within a policy the most specific rule
 * applies; across a token's policies capabilities add up; `deny` wins; `root` allows all.
 */
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

interface CompiledRule extends PolicyRule {
  regex: RegExp;
  /** Higher is more specific. */
  score: number;
}

function compile(rule: PolicyRule): CompiledRule {
  const glob = rule.path.endsWith("*");
  const body = glob ? rule.path.slice(0, -1) : rule.path;
  const pattern = body
    .split("/")
    .map((segment) => (segment === "+" ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  const regex = new RegExp(`^${pattern}${glob ? ".*" : ""}$`);
  const wildcards = body.split("/").filter((segment) => segment === "+").length;
  const literal = body.indexOf("+") === -1 ? body.length : body.indexOf("+");
  const score = (glob ? 0 : 1_000_000) + literal * 100 - wildcards;
  return { ...rule, regex, score };
}

export class PolicyStore {
  private readonly policies = new Map<string, { rules: CompiledRule[]; text: string }>();

  set(name: string, rules: PolicyRule[], text = toHcl(rules)): void {
    if (name === "root") throw fail(400, "cannot update root policy");
    this.policies.set(name, { rules: rules.map(compile), text });
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

  /** Whether a token with `policies` may use `capability` on `path` (no leading `/v1/`). */
  allows(policies: readonly string[], path: string, capability: Capability): boolean {
    if (policies.includes("root")) return true;
    const granted = new Set<Capability>();
    for (const name of policies) {
      const policy = this.policies.get(name);
      if (!policy) continue;
      let best: CompiledRule | undefined;
      for (const rule of policy.rules) {
        if (rule.regex.test(path) && (!best || rule.score > best.score)) best = rule;
      }
      for (const cap of best?.capabilities ?? []) granted.add(cap);
    }
    return !granted.has("deny") && granted.has(capability);
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
