import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { Group } from "../../src/groups/group.js";
import type { TokenRecord } from "../../src/tokens/record.js";

/**
 * A fresh private folder under the OS temp dir per call, removed after the test. `close`
 * callbacks registered with `onCleanup` run first (handles are closed before deletion).
 */
export function useTempDirs() {
  const dirs: string[] = [];
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir(): string {
      const dir = mkdtempSync(join(tmpdir(), "gofr-auth-sqlite-"));
      dirs.push(dir);
      return dir;
    },
    onCleanup(cleanup: () => unknown): void {
      cleanups.push(cleanup);
    },
  };
}

export function makeGroup(name: string, overrides: Partial<Group> = {}): Group {
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

export function makeToken(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: randomUUID(),
    name: null,
    groups: ["admin"],
    status: "active",
    createdAt: new Date(Date.UTC(2026, 0, 15, 10, 30, 0, 456)),
    expiresAt: new Date(Date.UTC(2026, 1, 14, 10, 30, 0, 456)),
    revokedAt: null,
    fingerprint: null,
    ...overrides,
  };
}

/** A random secret good enough for HS256 (43 characters). */
export function randomSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** The permission bits of a mode, e.g. 0o600. */
export function permissions(mode: number): number {
  return mode & 0o777;
}
