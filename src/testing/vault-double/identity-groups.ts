/**
 * `POST identity/group`: create an internal group, or update one named by `name` or `id`,
 * with `member_entity_ids` and `metadata`; `DELETE identity/group/name/<name>` (204, also
 * when there is none) (hashicorp `vault/identity_store_groups.go` `pathGroupRegister`,
 * `handleGroupUpdateCommon`, `pathGroupNameDelete`; `vault/identity_store_util.go`
 * `sanitizeAndUpsertGroup`). A new group answers 200 `{id, name}`, an update 204. Group
 * policies, external groups and group hierarchies are not modelled: the double refuses
 * them rather than ignore them.
 */
import { randomUUID } from "node:crypto";
import { fail, noContent, ok, plainError, type Reply, unsupported } from "./http.js";
import { commaList, stringField, stringMap } from "./identity-fields.js";
import { type IdentityGroup, type IdentityState, newGroupName } from "./identity-store.js";
import { type Guard, OPERATION_CAPABILITY, type RouteRequest } from "./state.js";

export function groupRoute(identity: IdentityState, request: RouteRequest, guard: Guard): Reply {
  guard(OPERATION_CAPABILITY[request.method] ?? []);
  if (request.method !== "POST" && request.method !== "PUT") throw unsupported();
  const { body } = request;
  const id = stringField(body, "id");
  const name = stringField(body, "name");
  let group: IdentityGroup | undefined;
  if (id !== undefined) {
    if (id === "") throw fail(400, "empty group ID");
    group = identity.groups.get(id);
    if (!group) throw fail(400, "invalid group ID");
  } else if (name !== undefined) {
    if (name === "") throw fail(400, "empty group name");
    group = [...identity.groups.values()].find((item) => item.name === name);
  }
  const created = group === undefined;
  const saved = updatedGroup(identity, group, body);
  identity.groups.set(saved.id, saved);
  return created ? ok({ id: saved.id, name: saved.name }, "identity") : noContent();
}

function updatedGroup(
  identity: IdentityState,
  existing: IdentityGroup | undefined,
  body: Record<string, unknown>,
): IdentityGroup {
  const group: IdentityGroup = existing
    ? { ...existing }
    : { id: randomUUID(), name: "", metadata: null, memberEntityIds: [] };
  const policies = commaList(body, "policies") ?? [];
  if (policies.includes("root")) throw fail(400, "policies cannot contain root");
  if (policies.length > 0) {
    throw fail(400, "vault double: identity group policies are not modelled");
  }
  const type = stringField(body, "type");
  if (type !== undefined && type !== "internal") {
    throw fail(400, `vault double: only internal groups are modelled, not "${type}"`);
  }
  if ((commaList(body, "member_group_ids") ?? []).length > 0) {
    throw fail(400, "vault double: group hierarchies are not modelled");
  }
  const name = stringField(body, "name") ?? "";
  if (name !== "") {
    const holder = [...identity.groups.values()].find((item) => item.name === name);
    if (holder && holder.id !== group.id) throw fail(400, "group name is already in use");
    group.name = name;
  }
  group.metadata = stringMap(body, "metadata") ?? group.metadata;
  const members = commaList(body, "member_entity_ids");
  if (members !== undefined) {
    const unique = [...new Set(members)];
    const unknown = unique.find((entityId) => !identity.entities.has(entityId));
    // sanitizeAndUpsertGroup's plain error: a 500.
    if (unknown !== undefined) throw plainError(500, `invalid entity ID "${unknown}"`);
    group.memberEntityIds = unique;
  }
  if (group.name === "") group.name = newGroupName(identity);
  return group;
}

/** `identity/group/name/<name>`: only DELETE is modelled. */
export function groupByNameRoute(
  identity: IdentityState,
  request: RouteRequest,
  guard: Guard,
  name: string,
): Reply {
  guard(OPERATION_CAPABILITY[request.method] ?? []);
  if (request.method !== "DELETE") throw unsupported();
  const group = [...identity.groups.values()].find((item) => item.name === name);
  if (group) identity.groups.delete(group.id);
  return noContent();
}
