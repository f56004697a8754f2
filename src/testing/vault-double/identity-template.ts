/**
 * Identity templates in JSON mode, as an OIDC role's `template` is filled in (hashicorp
 * `sdk/helper/identitytpl/templating.go` `PopulateString` with `JSONTemplating`):
 * `{{identity.entity.id|name|metadata[.k]|groups.names|groups.ids}}`,
 * `{{identity.entity.aliases.<mount accessor>.id|name|metadata[.k]|custom_metadata[.k]}}`,
 * `{{identity.groups.ids|names.<group>.id|name|metadata.<k>}}` and
 * `{{time.now[.plus|.minus.<duration>]}}`. Strings are written quoted, lists and maps as
 * JSON; Vault's quirks are kept (group selectors and times are written unquoted).
 */
import { parseDurationSeconds } from "./durations.js";
import { goJsonOrder } from "./http.js";

/** A template error; Vault's messages (`identitytpl` errors). */
export class TemplateError extends Error {}

const UNBALANCED = "unbalanced templating characters";
const NOT_FOUND = "no value could be found for one of the template directives";
const NO_GROUPS = "string contains groups template directives but no groups were provided";

export interface TemplateAlias {
  id: string;
  name: string;
  mountAccessor: string;
  metadata: Record<string, string> | null;
}

export interface TemplateEntity {
  id: string;
  name: string;
  metadata: Record<string, string> | null;
  aliases: readonly TemplateAlias[];
}

export interface TemplateGroup {
  id: string;
  name: string;
  metadata: Record<string, string> | null;
}

export interface TemplateInput {
  entity: TemplateEntity;
  groups: readonly TemplateGroup[];
  /** Epoch seconds for `time.now`. */
  nowSeconds: number;
}

/** The empty entity Vault validates a role's template with (`new(logical.Entity)`). */
export const EMPTY_ENTITY: TemplateEntity = { id: "", name: "", metadata: null, aliases: [] };

/** `jsonTemplateHandler` for a string: quoted. */
const quote = (value: string) => JSON.stringify(value);

/** ... for a list: JSON; Go marshals a nil slice (no groups) as `null`. */
const list = (value: readonly string[] | null) => JSON.stringify(value);

/** ... for a map: JSON with sorted keys (`{}` when nil), or one key's value quoted (`""` if absent). */
function map(value: Record<string, string> | null, key?: string): string {
  if (key !== undefined) return quote(value?.[key] ?? "");
  return value === null ? "{}" : JSON.stringify(goJsonOrder(value));
}

function metadataValue(value: Record<string, string> | null, rest: string): string | undefined {
  if (rest === "metadata") return map(value);
  if (rest.startsWith("metadata.")) return map(value, rest.slice("metadata.".length));
  return undefined;
}

function aliasValue(alias: TemplateAlias, rest: string): string {
  if (rest === "id") return quote(alias.id);
  if (rest === "name") return quote(alias.name);
  // The double keeps no alias custom_metadata: Vault's empty map.
  if (rest === "custom_metadata") return "{}";
  if (rest.startsWith("custom_metadata.")) return quote("");
  const meta = metadataValue(alias.metadata, rest);
  if (meta === undefined) throw new TemplateError(NOT_FOUND);
  return meta;
}

function entityValue(input: TemplateInput, rest: string): string {
  const { entity, groups } = input;
  if (rest === "id") return quote(entity.id);
  if (rest === "name") return quote(entity.name);
  if (rest === "groups.names") return list(groups.length === 0 ? null : groups.map((g) => g.name));
  if (rest === "groups.ids") return list(groups.length === 0 ? null : groups.map((g) => g.id));
  if (rest.startsWith("aliases.")) {
    const [accessor = "", selector] = splitOnce(rest.slice("aliases.".length));
    if (selector === undefined) throw new TemplateError("invalid alias selector");
    const alias = entity.aliases.find((item) => item.mountAccessor === accessor);
    // JSON mode: an empty alias stands in for a missing one.
    return aliasValue(
      alias ?? { id: "", name: "", mountAccessor: accessor, metadata: {} },
      selector,
    );
  }
  const meta = metadataValue(entity.metadata, rest);
  if (meta === undefined) throw new TemplateError(NOT_FOUND);
  return meta;
}

/** `performGroupsTemplating`: the selected group's field, unquoted even in JSON mode. */
function groupValue(groups: readonly TemplateGroup[], rest: string): string {
  const [kind, selector] = splitOnce(rest);
  if (selector === undefined || (kind !== "ids" && kind !== "names")) {
    throw new TemplateError("invalid groups selector");
  }
  const [wanted = "", field] = splitOnce(selector);
  if (field === undefined) throw new TemplateError("invalid groups accessor");
  const found = groups.find((group) => (kind === "ids" ? group.id : group.name) === wanted);
  if (!found) throw new TemplateError(`entity is not a member of group "${wanted}"`);
  if (field === "id") return found.id;
  if (field === "name" && found.name !== "") return found.name;
  const value = field.startsWith("metadata.")
    ? found.metadata?.[field.slice("metadata.".length)]
    : undefined;
  if (value === undefined) throw new TemplateError(NOT_FOUND);
  return value;
}

/** `performTimeTemplating`: epoch seconds, unquoted; the duration is parsed before the operator. */
function timeValue(nowSeconds: number, rest: string): string {
  const [now, operator, operand] = splitTime(rest);
  if (now !== "now") throw new TemplateError(`invalid time selector "${now}"`);
  if (operator === undefined) return String(nowSeconds);
  if (operand === undefined) throw new TemplateError("missing time operand");
  let seconds: number | undefined;
  try {
    seconds = parseDurationSeconds(operand, "time");
  } catch {
    seconds = undefined;
  }
  if (seconds === undefined) throw new TemplateError(`invalid duration: "${operand}"`);
  if (operator === "plus") return String(nowSeconds + seconds);
  if (operator === "minus") return String(nowSeconds - seconds);
  throw new TemplateError(`invalid time operator "${operator}"`);
}

/** `strings.SplitN(rest, ".", 3)`. */
function splitTime(rest: string): [string, string?, string?] {
  const [first = "", tail] = splitOnce(rest);
  if (tail === undefined) return [first];
  const [second = "", third] = splitOnce(tail);
  return [first, second, third];
}

/** `strings.SplitN(text, ".", 2)`. */
function splitOnce(text: string): [string, string?] {
  const dot = text.indexOf(".");
  return dot === -1 ? [text] : [text.slice(0, dot), text.slice(dot + 1)];
}

function directive(input: TemplateInput, text: string): string {
  if (text.startsWith("identity.entity.")) {
    return entityValue(input, text.slice("identity.entity.".length));
  }
  if (text.startsWith("identity.groups.")) {
    if (input.groups.length === 0) throw new TemplateError(NO_GROUPS);
    return groupValue(input.groups, text.slice("identity.groups.".length));
  }
  if (text.startsWith("time.")) return timeValue(input.nowSeconds, text.slice("time.".length));
  throw new TemplateError(NOT_FOUND);
}

/** `PopulateString` in JSON mode; throws {@link TemplateError}. */
export function populateJsonTemplate(template: string, input: TemplateInput): string {
  if (template === "") return "";
  const pieces = template.split("{{");
  if ((pieces[0] ?? "").includes("}}")) throw new TemplateError(UNBALANCED);
  let out = pieces[0] ?? "";
  for (const piece of pieces.slice(1)) {
    const parts = piece.split("}}");
    if (parts.length !== 2) throw new TemplateError(UNBALANCED);
    out += directive(input, (parts[0] ?? "").trim()) + (parts[1] ?? "");
  }
  return out;
}
