/** Records and stores for the VaultAuthStore suites (store.test.ts, store-*.test.ts). */
import { randomUUID } from "node:crypto";
import type { Group } from "../../src/groups/group.js";
import { VaultAuthStore, type VaultAuthStoreOptions } from "../../src/store/vault.js";
import type { TokenRecord } from "../../src/tokens/record.js";
import type { VaultClientOptions } from "../../src/vault/client.js";
import type { VaultTarget } from "./target.js";

export function group(name: string, overrides: Partial<Group> = {}): Group {
  return {
    id: randomUUID(),
    name,
    description: `${name} group`,
    isActive: true,
    createdAt: new Date(Date.UTC(2026, 0, 15, 10, 30, 0, 123)),
    defunctAt: null,
    isReserved: false,
    ...overrides,
  };
}

export function token(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: randomUUID(),
    name: null,
    groups: ["billing"],
    status: "active",
    createdAt: new Date(Date.UTC(2026, 0, 15, 10, 30, 0, 123)),
    expiresAt: new Date(Date.UTC(2026, 1, 14, 10, 30, 0, 123)),
    revokedAt: null,
    fingerprint: null,
    ...overrides,
  };
}

/** The group record as the Python fleet writes it (wire format, its own timestamps). */
export function pythonGroup(id: string, name: string): Record<string, unknown> {
  return {
    id,
    name,
    description: null,
    is_active: true,
    created_at: "2025-11-02T08:15:30.654321",
    defunct_at: null,
    is_reserved: false,
  };
}

export interface StoreFixture {
  /** A store over its own client (as another process would have it). */
  makeStore(
    prefix: string,
    options?: Partial<VaultAuthStoreOptions>,
    client?: Partial<VaultClientOptions>,
  ): VaultAuthStore;
  /** A fresh auth prefix under the target's test prefix. */
  freshPrefix(label: string): string;
  /** The data of a KV path, read with the root token. */
  raw(path: string): Promise<Record<string, unknown>>;
}

export function storeFixture(target: () => VaultTarget): StoreFixture {
  let n = 0;
  return {
    makeStore: (prefix, options = {}, client = {}) =>
      new VaultAuthStore({ client: target().client(client), pathPrefix: prefix, ...options }),
    freshPrefix: (label) => `${target().prefix}/${label}-${++n}/auth`,
    raw: async (path) => (await target().client().kv().read(path)).data,
  };
}
