/**
 * The change marker: one KV v2 secret, `<mount>/<pathPrefix>/_changes` (default
 * `secret/gofr/auth/_changes`), that every writer using this library appends to after a
 * rotation, a secret deletion or a token record change, and that every service reads once
 * per interval (see `ChangePoller`).
 *
 * Its data is `{ "changes": [entry, ...] }`, newest last, at most {@link CHANGE_WINDOW}
 * entries. Each write adds exactly one entry, with check-and-set on the version read, so the
 * KV version of the marker is the change sequence: in a marker at version V holding L
 * entries, entry i has sequence V - (L - 1 - i). Facts relied on (real Vault):
 * - `GET <mount>/data/<path>` answers the data with `metadata.version` (docs/vault-contract.md
 *   row 1); a deleted latest version answers 404 with its metadata (row 4).
 * - A write with `options.cas` = the current version, or `0` for a key that does not exist,
 *   succeeds; anything else answers 400 "check-and-set parameter did not match" (row 6;
 *   vault-plugin-secrets-kv `path_data.go` `validateCheckAndSetOption`, where a missing key
 *   has `CurrentVersion` 0).
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { type Clock, systemClock } from "../clock.js";
import { AuthError, describeError, isAuthError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import type { KvV2 } from "../vault/kv.js";

/** Entries kept in the marker (oldest dropped first). */
export const CHANGE_WINDOW = 64;

/** The marker's key under the auth path prefix. */
export const CHANGE_MARKER_KEY = "_changes";

/** A change as a writer describes it; `id` and `at` are added when it is appended. */
export type Change =
  /** A signing secret was written or deleted (`name` = its store path). */
  | { kind: "secret"; name: string; version?: number }
  /** A token record changed (revoked). */
  | { kind: "token"; token_id: string };

/**
 * One entry of the marker. `id` is a random UUID (a resent append finds its own entry and
 * stops); `at` is the RFC 3339 time of the write (for the lag metric).
 */
export type ChangeEntry = Change & { id: string; at: string };

const entryBase = { id: z.string().min(1).max(128), at: z.string().max(64) };
const changeEntry = z.discriminatedUnion("kind", [
  z.object({
    ...entryBase,
    kind: z.literal("secret"),
    name: z.string().min(1).max(1024),
    version: z.number().int().positive().optional(),
  }),
  z.object({ ...entryBase, kind: z.literal("token"), token_id: z.string().min(1).max(256) }),
]);
const markerData = z.object({ changes: z.array(z.unknown()) });

/** The marker as read: its version (0 when absent) and its raw entries. */
export interface MarkerState {
  /** KV version of the marker: the sequence of its newest entry. 0 when it does not exist. */
  version: number;
  /**
   * The stored entries, oldest first, as stored (an entry another writer added in a shape
   * this version does not know is kept as is). `undefined` when the data is not a marker.
   */
  entries: unknown[] | undefined;
}

/** A stored entry as a {@link ChangeEntry}, or undefined when it is not one this code knows. */
export function parseEntry(raw: unknown): ChangeEntry | undefined {
  const parsed = changeEntry.safeParse(raw);
  return parsed.success ? (parsed.data as ChangeEntry) : undefined;
}

/** The change sequence of entry `index` of `state` (see the module comment). */
export function sequenceOf(state: MarkerState, index: number): number {
  const length = state.entries?.length ?? 0;
  return state.version - (length - 1 - index);
}

/** The id of a stored entry, when it has one (whatever its shape otherwise). */
export function entryId(raw: unknown): unknown {
  return typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
}

export interface ChangeMarkerOptions {
  kv: KvV2;
  /** The auth path prefix inside the mount, e.g. `gofr/auth`. */
  pathPrefix: string;
  /** Check-and-set rounds before an append gives up under contention. Default 16. */
  casAttempts?: number;
  /** Stamps `at`. Default: the system clock. */
  clock?: Clock;
  logger?: Logger;
}

/** Writer-side counters. */
export interface ChangeMarkerStats {
  /** Entries appended. */
  appends: number;
  /** Appends that failed after the change itself was committed. */
  writeFailures: number;
}

/** Reads and appends to the change marker of one auth store. */
export class ChangeMarker {
  /** The marker's path inside the mount, e.g. `gofr/auth/_changes`. */
  readonly path: string;
  readonly stats: ChangeMarkerStats = { appends: 0, writeFailures: 0 };
  private readonly kv: KvV2;
  private readonly casAttempts: number;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: ChangeMarkerOptions) {
    this.kv = options.kv;
    this.path = `${options.pathPrefix.replace(/^\/+|\/+$/g, "")}/${CHANGE_MARKER_KEY}`;
    this.casAttempts = Math.max(1, options.casAttempts ?? 16);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** Where the marker lives, for messages: `secret/gofr/auth/_changes`. */
  get where(): string {
    return `${this.kv.mount}/${this.path}`;
  }

  /** One GET of the marker: its version and entries (version 0 when absent). */
  async read(): Promise<MarkerState> {
    try {
      const secret = await this.kv.read(this.path);
      const parsed = markerData.safeParse(secret.data);
      return { version: secret.version, entries: parsed.success ? parsed.data.changes : undefined };
    } catch (error) {
      if (!isAuthError(error, "vault_not_found")) throw error;
      // A deleted latest version still has a version number, which the next write must name.
      const version = error.details.version;
      return { version: typeof version === "number" ? version : 0, entries: [] };
    }
  }

  /**
   * Appends `change` (check-and-set, retried on contention) and resolves to the entry
   * written. Safe to resend: when an earlier try landed but its answer was lost, the re-read
   * finds the entry's id and stops, so the change is recorded once. Rejects when Vault
   * fails or contention outlasts the attempts.
   */
  async appendChange(change: Change): Promise<ChangeEntry> {
    const entry = { ...change, id: randomUUID(), at: new Date(this.clock()).toISOString() };
    for (let attempt = 1; attempt <= this.casAttempts; attempt += 1) {
      const state = await this.read();
      const stored = state.entries ?? [];
      if (stored.some((raw) => entryId(raw) === entry.id)) return entry;
      const changes = [...stored, entry].slice(-CHANGE_WINDOW);
      try {
        await this.kv.write(this.path, { changes }, { cas: state.version });
        this.stats.appends += 1;
        return entry;
      } catch (error) {
        // Another writer got there first, or our own write landed and the client resent
        // it after a lost answer: read again (the next round tells which).
        if (!isAuthError(error, "vault_cas_mismatch")) throw error;
      }
    }
    throw new AuthError(
      "vault_cas_mismatch",
      `Could not append to ${this.where}: ${this.casAttempts} check-and-set rounds lost`,
      { hint: "too many concurrent writers; the change itself is done" },
    );
  }

  /**
   * {@link appendChange} for a change already committed: never rejects. A failure is
   * logged (WARNING, with the bound that then applies) and counted; resolves to whether
   * the entry was written.
   */
  async signal(change: Change): Promise<boolean> {
    try {
      await this.appendChange(change);
      return true;
    } catch (error) {
      this.stats.writeFailures += 1;
      this.logger.warn("Could not record the change in the change marker", {
        marker: this.where,
        change: change.kind,
        ...(change.kind === "secret" ? { secret: change.name } : { token_id: change.token_id }),
        code: isAuthError(error) ? error.code : undefined,
        error: describeError(error),
        hint: "the change is done; services see it within their cache TTL (token records, signing secrets) instead of the propagation interval",
      });
      return false;
    }
  }
}
