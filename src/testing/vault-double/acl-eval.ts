/**
 * Vault's ACL evaluation (docs/vault-contract.md row 27, M3; hashicorp `vault/acl.go` `NewACL`,
 * `AllowOperation`, `CheckAllowedFromNonExactPaths`; docs `concepts/policies`, "Priority
 * matching").
 *
 * All of a token's policies are merged into one ACL first: rules on the *identical* path
 * string add their capabilities up, except that `deny` on such a path wipes the others.
 * A request then uses exactly one rule: the exact rule for its path if there is one, else
 * the single highest-priority glob (`*`) or segment-wildcard (`+`) rule. `deny` only
 * matters when it is on that rule.
 */
import type { Capability, PolicyRule } from "./acl.js";

type Caps = ReadonlySet<Capability>;

interface Candidate {
  /** Index of the first `+` (segment rules) or of the `*` (plain glob rules). */
  firstWildcard: number;
  isPrefix: boolean;
  wildcards: number;
  /** The rule path without its trailing `*`. */
  path: string;
  caps: Caps;
}

export class MergedAcl {
  private readonly exact = new Map<string, Caps>();
  /** Plain globs `a/b*`, keyed by the path without `*`. */
  private readonly prefix = new Map<string, Caps>();
  /** Rules with a `+` segment, keyed by the full rule path (`*` kept). */
  private readonly segment = new Map<string, Caps>();

  constructor(policies: readonly (readonly PolicyRule[])[]) {
    for (const rules of policies) {
      for (const rule of rules) this.insert(rule);
    }
  }

  /**
   * The capabilities the chosen rule grants for `path` (no leading `/v1/`). `list` marks a
   * list operation, whose path ends in `/` (hashicorp `http/logical.go` adds it).
   */
  capabilities(path: string, list: boolean): Caps {
    const clean = path.replace(/^\/+/, "");
    const trimmed = clean.endsWith("/") ? clean.slice(0, -1) : clean;
    const found =
      this.exact.get(clean) ??
      (list ? this.exact.get(trimmed) : undefined) ??
      // "List operations need to check without the trailing slash first" (VAULT-3825).
      (list && clean.endsWith("/") ? this.nonExact(trimmed) : undefined) ??
      this.nonExact(clean);
    return found ?? new Set();
  }

  private insert(rule: PolicyRule): void {
    const segmentRule = rule.path === "+" || rule.path.includes("/+") || rule.path.startsWith("+/");
    let table = this.segment;
    let key = rule.path;
    if (!segmentRule) {
      table = rule.path.endsWith("*") ? this.prefix : this.exact;
      key = rule.path.endsWith("*") ? rule.path.slice(0, -1) : rule.path;
    }
    const existing = table.get(key);
    const incoming = new Set(rule.capabilities);
    if (!existing) table.set(key, incoming);
    else if (existing.has("deny")) return;
    else if (incoming.has("deny")) table.set(key, new Set<Capability>(["deny"]));
    else table.set(key, new Set([...existing, ...incoming]));
  }

  /** The single highest-priority glob or `+` rule matching `path`, if any. */
  private nonExact(path: string): Caps | undefined {
    const candidates: Candidate[] = [];
    const longest = [...this.prefix.keys()]
      .filter((prefix) => path.startsWith(prefix))
      .sort((a, b) => b.length - a.length)[0];
    if (longest !== undefined) {
      const caps = this.prefix.get(longest) as Caps;
      if (this.segment.size === 0) return caps;
      candidates.push({
        firstWildcard: longest.length,
        isPrefix: true,
        wildcards: 0,
        path: longest,
        caps,
      });
    }
    const parts = path.split("/");
    for (const [full, caps] of this.segment) {
      const candidate = matchSegmentRule(full, parts, caps);
      if (candidate) candidates.push(candidate);
    }
    let best: Candidate | undefined;
    for (const candidate of candidates) {
      if (!best || lowerPriority(best, candidate)) best = candidate;
    }
    return best?.caps;
  }
}

function matchSegmentRule(full: string, parts: string[], caps: Caps): Candidate | undefined {
  const isPrefix = full.endsWith("*");
  const path = isPrefix ? full.slice(0, -1) : full;
  const ruleParts = path.split("/");
  if (parts.length < ruleParts.length) return undefined;
  if (!isPrefix && ruleParts.length !== parts.length) return undefined;
  let wildcards = 0;
  for (const [i, rulePart] of ruleParts.entries()) {
    const part = parts[i] as string;
    const last = i === ruleParts.length - 1;
    if (rulePart === "+") wildcards += 1;
    else if (rulePart !== part && !(isPrefix && last && part.startsWith(rulePart))) {
      return undefined;
    }
  }
  return { firstWildcard: full.indexOf("+"), isPrefix, wildcards, path, caps };
}

/**
 * Vault's `less`: whether `a` ranks below `b`. In order: the first wildcard earlier loses;
 * ending in `*` loses against not; more `+` segments lose; shorter loses; then the
 * lexicographically smaller loses.
 */
function lowerPriority(a: Candidate, b: Candidate): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard < b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix;
  if (a.wildcards !== b.wildcards) return a.wildcards > b.wildcards;
  if (a.path.length !== b.path.length) return a.path.length < b.path.length;
  return a.path < b.path;
}
