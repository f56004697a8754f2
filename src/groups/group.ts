import { AuthError } from "../errors.js";

/** A group as stored (Vault `<prefix>/groups/<uuid>`, wire fields in snake_case). */
export interface Group {
  id: string;
  name: string;
  description: string | null;
  isActive: boolean;
  createdAt: Date;
  defunctAt: Date | null;
  isReserved: boolean;
}

/** `public` is in every verified token's groups; `admin` guards management. */
export const RESERVED_GROUPS = {
  public: "Universal access group - automatically included for all tokens",
  admin: "Administrative access - required for group and token management",
} as const;
export type ReservedGroupName = keyof typeof RESERVED_GROUPS;
export const PUBLIC_GROUP: ReservedGroupName = "public";
export const ADMIN_GROUP: ReservedGroupName = "admin";

export function isReservedGroupName(name: string): boolean {
  return Object.hasOwn(RESERVED_GROUPS, name.toLowerCase());
}

const GROUP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** Group names: 1-64 characters of `[a-z0-9-]`, starting and ending with a letter or digit. */
export function assertValidGroupName(name: unknown): asserts name is string {
  if (typeof name === "string" && GROUP_NAME.test(name)) return;
  const suggestion =
    typeof name === "string"
      ? name
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, "-")
          .replace(/^-+|-+$/g, "")
      : "";
  throw new AuthError("group_name_invalid", `Invalid group name ${JSON.stringify(name)}`, {
    hint: `use 1-64 characters of a-z, 0-9 and '-'${suggestion ? `, e.g. '${suggestion.slice(0, 64)}'` : ""}`,
  });
}

/** A copy sharing nothing mutable with `group` (see `copyTokenRecord`). */
export function copyGroup(group: Group): Group {
  return {
    ...group,
    createdAt: new Date(group.createdAt.getTime()),
    defunctAt: group.defunctAt === null ? null : new Date(group.defunctAt.getTime()),
  };
}
