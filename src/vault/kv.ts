/**
 * KV version 2 over a {@link VaultClient}: versioned reads and writes with check-and-set,
 * listing, metadata and the delete family. Paths are relative to the mount
 * (`gofr/config/jwt-signing-secret`), never `secret/data/...`.
 */

import type { z } from "zod";
import { AuthError, isAuthError } from "../errors.js";
import { parseTimestamp } from "../timestamps.js";
import type { VaultClient } from "./client.js";
import { encodePath, normalizeKvPath } from "./paths.js";
import {
  kvMetadataResponse,
  kvReadResponse,
  type kvVersionMetadata,
  kvWriteResponse,
  listResponse,
  parseShape,
} from "./schemas.js";

/** One version's metadata, as every read and write returns it. */
export interface KvVersion {
  version: number;
  createdAt: Date;
  /** Set when the version is soft-deleted. */
  deletedAt: Date | null;
  destroyed: boolean;
  customMetadata: Record<string, string> | null;
}

/** A read version: its data and its metadata. */
export interface KvSecret<T extends Record<string, unknown> = Record<string, unknown>>
  extends KvVersion {
  data: T;
}

export interface KvMetadata {
  currentVersion: number;
  oldestVersion: number;
  /** 0 means the mount's setting (Vault's default keeps 10). */
  maxVersions: number;
  casRequired: boolean;
  createdAt: Date;
  updatedAt: Date;
  customMetadata: Record<string, string> | null;
  /** Every kept version by number. */
  versions: Map<number, { createdAt: Date; deletedAt: Date | null; destroyed: boolean }>;
}

export interface KvWriteOptions {
  /**
   * Check-and-set: write only if the current version is this one; 0 = only if the key does
   * not exist. A mismatch rejects with `vault_cas_mismatch`.
   */
  cas?: number;
}

export class KvV2 {
  constructor(
    private readonly client: VaultClient,
    /** The mount, e.g. `secret`. */
    readonly mount: string,
  ) {}

  /** The latest (or given) version. Rejects `vault_not_found` when absent or deleted. */
  async read<T extends Record<string, unknown> = Record<string, unknown>>(
    path: string,
    options: { version?: number } = {},
  ): Promise<KvSecret<T>> {
    const target = this.url("data", path);
    const version = options.version;
    if (version !== undefined && (!Number.isInteger(version) || version < 1)) {
      throw new AuthError("invalid_input", `A KV version must be an integer >= 1, got ${version}`);
    }
    const body = await this.client.request("GET", target, {
      query: version === undefined ? undefined : { version },
    });
    const parsed = this.shape(kvReadResponse, body, "GET", target);
    const { data, metadata } = parsed.data;
    if (data === null) {
      // Vault answers 404 for deleted versions; a 200 without data is not a valid read.
      throw new AuthError("vault_not_found", `No data at ${this.mount}/${path} (version deleted)`, {
        hint: "undelete the version or write a new one",
        details: { path: `/v1/${target}`, version: metadata.version, deleted: true },
      });
    }
    return { ...versionOf(metadata), data: data as T };
  }

  /** Like {@link read}, but `undefined` when there is nothing readable at the path. */
  async readOptional<T extends Record<string, unknown> = Record<string, unknown>>(
    path: string,
    options: { version?: number } = {},
  ): Promise<KvSecret<T> | undefined> {
    try {
      return await this.read<T>(path, options);
    } catch (error) {
      if (isAuthError(error, "vault_not_found")) return undefined;
      throw error;
    }
  }

  /** Writes a new version (the whole data object). Resolves to the new version's metadata. */
  async write(
    path: string,
    data: Record<string, unknown>,
    options: KvWriteOptions = {},
  ): Promise<KvVersion> {
    const target = this.url("data", path);
    const body: { data: Record<string, unknown>; options?: { cas: number } } = { data };
    if (options.cas !== undefined) body.options = { cas: options.cas };
    const answer = await this.client.request("POST", target, { body });
    return versionOf(this.shape(kvWriteResponse, answer, "POST", target).data);
  }

  /**
   * Keys directly under `path` (folders end with `/`), or `[]` when there are none.
   * Uses `GET ?list=true`, which every Vault and proxy accepts (the `LIST` verb is not
   * standard HTTP).
   */
  async list(path = ""): Promise<string[]> {
    const target = this.url("metadata", path, true);
    try {
      const body = await this.client.request("GET", target, { query: { list: "true" } });
      return this.shape(listResponse, body, "GET", target).data.keys;
    } catch (error) {
      if (isAuthError(error, "vault_not_found")) return [];
      throw error;
    }
  }

  /** All versions' metadata, or `undefined` when the key does not exist. */
  async readMetadata(path: string): Promise<KvMetadata | undefined> {
    const target = this.url("metadata", path);
    let body: unknown;
    try {
      body = await this.client.request("GET", target);
    } catch (error) {
      if (isAuthError(error, "vault_not_found")) return undefined;
      throw error;
    }
    const data = this.shape(kvMetadataResponse, body, "GET", target).data;
    const versions = new Map<
      number,
      { createdAt: Date; deletedAt: Date | null; destroyed: boolean }
    >();
    for (const [key, entry] of Object.entries(data.versions)) {
      versions.set(Number(key), {
        createdAt: time(entry.created_time),
        deletedAt: entry.deletion_time ? time(entry.deletion_time) : null,
        destroyed: entry.destroyed,
      });
    }
    return {
      currentVersion: data.current_version,
      oldestVersion: data.oldest_version,
      maxVersions: data.max_versions,
      casRequired: data.cas_required,
      createdAt: time(data.created_time),
      updatedAt: time(data.updated_time),
      customMetadata: data.custom_metadata ?? null,
      versions,
    };
  }

  /** Soft-deletes the latest version (recoverable with {@link undelete}). */
  async delete(path: string): Promise<void> {
    await this.client.request("DELETE", this.url("data", path));
  }

  /** Soft-deletes the given versions. */
  async deleteVersions(path: string, versions: readonly number[]): Promise<void> {
    await this.client.request("POST", this.url("delete", path), { body: { versions } });
  }

  /** Restores soft-deleted versions. */
  async undelete(path: string, versions: readonly number[]): Promise<void> {
    await this.client.request("POST", this.url("undelete", path), { body: { versions } });
  }

  /** Permanently removes the data of the given versions (metadata stays). */
  async destroy(path: string, versions: readonly number[]): Promise<void> {
    await this.client.request("POST", this.url("destroy", path), { body: { versions } });
  }

  /** Removes the key, all its versions and its metadata. Succeeds when already absent. */
  async deleteMetadata(path: string): Promise<void> {
    await this.client.request("DELETE", this.url("metadata", path));
  }

  private url(
    kind: "data" | "metadata" | "delete" | "undelete" | "destroy",
    path: string,
    root = false,
  ) {
    const normalized = normalizeKvPath(path, root);
    return `${encodePath(this.mount)}/${kind}${normalized ? `/${encodePath(normalized)}` : ""}`;
  }

  private shape<T>(schema: z.ZodType<T>, body: unknown, method: string, target: string): T {
    const parsed = parseShape(schema, body);
    if (parsed.ok) return parsed.value;
    throw new AuthError(
      "vault_bad_response",
      `Unexpected answer from Vault for ${method} /v1/${target}: ${parsed.problem}`,
      {
        hint: `check that '${this.mount}' is a KV version 2 mount`,
        details: { path: `/v1/${target}` },
      },
    );
  }
}

function versionOf(metadata: z.infer<typeof kvVersionMetadata>): KvVersion {
  return {
    version: metadata.version,
    createdAt: time(metadata.created_time),
    deletedAt: metadata.deletion_time ? time(metadata.deletion_time) : null,
    destroyed: metadata.destroyed,
    customMetadata: metadata.custom_metadata ?? null,
  };
}

/** Vault's RFC 3339 times (nanoseconds, `Z`) as Dates; unparsable ones become invalid Dates. */
function time(value: string): Date {
  try {
    return new Date(parseTimestamp(value));
  } catch {
    return new Date(Number.NaN);
  }
}
