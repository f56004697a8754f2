/** The double's shared state and the request shape its routes see. */
import type { Clock } from "../../clock.js";
import type { Capability, PolicyStore } from "./acl.js";
import type { HealthState, VaultHealthMode } from "./health.js";
import type { KvEngine } from "./kv-engine.js";
import type { LockoutTracker } from "./lockout.js";
import type { AppRoleStore, TokenStore } from "./tokens.js";
import type { TransitEngine } from "./transit-engine.js";

/** An enabled auth method, as `GET sys/auth` lists it. */
export interface AuthMount {
  type: "approle" | "token";
  /** `auth_<type>_<8 hex>`, as Vault names mount accessors. */
  accessor: string;
  uuid: string;
}

export interface DoubleState extends HealthState {
  clock: Clock;
  /** Vault's RFC 3339 time with nanoseconds, for stored timestamps. */
  now: () => string;
  tokens: TokenStore;
  appRoles: AppRoleStore;
  /** Auth mounts by path without the trailing `/` (`token`, `approle`). */
  authMounts: Map<string, AuthMount>;
  policies: PolicyStore;
  kv: Map<string, KvEngine>;
  newKvEngine: () => KvEngine;
  /** Transit mounts by path without the trailing `/`. */
  transit: Map<string, TransitEngine>;
  sealed: boolean;
  health: VaultHealthMode;
  /** Where a standby redirects (`Location`), if set. */
  activeAddress: string | undefined;
  lockout: LockoutTracker;
  version: string;
  clusterId: string;
}

export interface RouteRequest {
  /** The HTTP method, or `LIST` for the `LIST` verb and for `GET ?list=<true>`. */
  method: string;
  /** Path after `/v1/`, decoded; a list operation's path ends in `/`. */
  path: string;
  query: URLSearchParams;
  token: string | undefined;
  body: Record<string, unknown>;
}

/** The capability an operation needs (hashicorp `vault/acl.go` `AllowOperation`). */
export const OPERATION_CAPABILITY: Readonly<Record<string, Capability>> = {
  GET: "read",
  LIST: "list",
  POST: "update",
  PUT: "update",
  DELETE: "delete",
  PATCH: "patch",
};

/** Throws 403 unless the token may use one of the capabilities on `target` (default: the path). */
export type Guard = (capability: Capability | Capability[], target?: string) => void;
