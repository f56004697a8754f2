export {
  ADMIN_GROUP,
  assertValidGroupName,
  type Group,
  isReservedGroupName,
  PUBLIC_GROUP,
  RESERVED_GROUPS,
  type ReservedGroupName,
} from "./group.js";
export { GroupRegistry, type GroupRegistryOptions, type ListGroupsOptions } from "./registry.js";
