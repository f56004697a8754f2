import type { AuthContext } from "../../auth-context.js";
import { AuthError } from "../../errors.js";

/** Which groups a request's token must carry. All lists may be combined. */
export interface GroupRequirementOptions {
  /** Every one of these groups (same as `allGroups`; the common case, like OAuth scopes). */
  groups?: readonly string[];
  /** Every one of these groups. */
  allGroups?: readonly string[];
  /** At least one of these groups. */
  anyGroup?: readonly string[];
}

/** A requirement compiled once; `check` runs per request. */
export interface GroupRequirement {
  readonly all: readonly string[];
  readonly any: readonly string[];
  /** Throws `insufficient_groups` when the context lacks a required group. */
  check(context: AuthContext): void;
}

/** Builds a {@link GroupRequirement}; an empty or absent list requires nothing. */
export function compileGroupRequirement(options: GroupRequirementOptions = {}): GroupRequirement {
  const all = [...new Set([...listOf(options, "groups"), ...listOf(options, "allGroups")])];
  const any = [...new Set(listOf(options, "anyGroup"))];
  for (const name of [...all, ...any]) {
    if (typeof name !== "string" || name === "") {
      throw new AuthError("invalid_input", "Group requirements must be non-empty group names");
    }
  }
  const wanted = [
    all.length > 0 ? `all of [${all.join(", ")}]` : "",
    any.length > 0 ? `one of [${any.join(", ")}]` : "",
  ]
    .filter(Boolean)
    .join(" and ");
  return {
    all,
    any,
    check(context) {
      // An empty requirement passes here too: nothing is missing and `any` is empty.
      const missingAll = all.filter((group) => !context.hasGroup(group));
      const anyOk = any.length === 0 || context.hasAnyGroup(any);
      if (missingAll.length === 0 && anyOk) return;
      throw new AuthError("insufficient_groups", `This endpoint requires ${wanted}`, {
        hint: "ask an operator for a token with the required groups",
        details: { token_id: context.tokenId, required_all: all, required_any: any },
      });
    },
  };
}

/** Merges two requirements (both must hold), e.g. plugin-wide and route-level. */
export function mergeGroupOptions(
  a: GroupRequirementOptions,
  b: GroupRequirementOptions,
): GroupRequirementOptions {
  const anyA = listOf(a, "anyGroup");
  const anyB = listOf(b, "anyGroup");
  if (anyA.length > 0 && anyB.length > 0) {
    // "one of A and one of B" cannot be expressed as a single any-list.
    throw new AuthError("invalid_input", "Only one level may set anyGroup", {
      hint: "set anyGroup on the route or on the plugin, not both",
    });
  }
  return {
    allGroups: [
      ...listOf(a, "groups"),
      ...listOf(a, "allGroups"),
      ...listOf(b, "groups"),
      ...listOf(b, "allGroups"),
    ],
    anyGroup: anyA.length > 0 ? anyA : anyB,
  };
}

/**
 * One group list, or an empty one when absent. A string is refused rather than spread into
 * its letters (`groups: "admin"` from untyped code would otherwise require groups "a", "d", ...).
 */
function listOf(options: GroupRequirementOptions, key: keyof GroupRequirementOptions) {
  const value: unknown = options[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new AuthError("invalid_input", `${key} must be a list of group names`, {
      hint: `write ${key}: ["admin"], not ${key}: "admin"`,
    });
  }
  return value as readonly string[];
}
