/**
 * A KV version 2 engine in memory, with Vault's rules: versions numbered from 1, the
 * newest `max_versions` kept (10 unless configured), check-and-set, soft delete,
 * undelete, destroy and delete-metadata. No HTTP here; the server maps routes to it.
 */
import { fail, goJsonOrder, notFound, VaultHttpError } from "./http.js";

const DEFAULT_MAX_VERSIONS = 10;

export interface KvVersionState {
  data: Record<string, unknown> | null;
  createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

export interface KvKeyState {
  versions: Map<number, KvVersionState>;
  currentVersion: number;
  oldestVersion: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: string;
  customMetadata: Record<string, string> | null;
  createdTime: string;
  updatedTime: string;
}

export interface KvMountConfig {
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: string;
}

/** `data.metadata` of a read, and the `data` of a write. */
export function versionMetadata(key: KvKeyState, version: number, state: KvVersionState) {
  return {
    created_time: state.createdTime,
    custom_metadata: key.customMetadata,
    deletion_time: state.deletionTime,
    destroyed: state.destroyed,
    version,
  };
}

export class KvEngine {
  readonly keys = new Map<string, KvKeyState>();
  readonly config: KvMountConfig = { maxVersions: 0, casRequired: false, deleteVersionAfter: "0s" };

  /** `now()` returns Vault's RFC 3339 time with nanoseconds. */
  constructor(private readonly now: () => string) {}

  exists(path: string): boolean {
    return this.keys.has(path);
  }

  /** Latest (or given) version; deleted or destroyed versions answer 404 with metadata. */
  read(path: string, version?: number): { status: number; data: unknown } {
    const key = this.keys.get(path);
    if (!key) throw notFound();
    const wanted = version && version > 0 ? version : key.currentVersion;
    const state = key.versions.get(wanted);
    if (!state) throw notFound();
    const metadata = versionMetadata(key, wanted, state);
    if (state.deletionTime !== "" || state.destroyed) {
      return { status: 404, data: { data: null, metadata } };
    }
    return { status: 200, data: { data: structuredClone(state.data), metadata } };
  }

  write(path: string, data: unknown, options: unknown): ReturnType<typeof versionMetadata> {
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw fail(400, "no data provided");
    }
    const key = this.keys.get(path);
    this.checkCas(key, options);
    const now = this.now();
    const entry = key ?? this.newKey(now);
    const version = entry.currentVersion + 1;
    const state: KvVersionState = {
      // Stored as Vault stores it: json.Marshal of a Go map, keys sorted (row 17).
      data: goJsonOrder(data as Record<string, unknown>),
      createdTime: now,
      deletionTime: "",
      destroyed: false,
    };
    entry.versions.set(version, state);
    entry.currentVersion = version;
    entry.updatedTime = now;
    this.prune(entry);
    this.keys.set(path, entry);
    return versionMetadata(entry, version, state);
  }

  /** JSON merge patch (RFC 7396) of the latest version into a new one. */
  patch(path: string, patch: unknown, options: unknown): ReturnType<typeof versionMetadata> {
    const current = this.read(path);
    if (current.status !== 200) throw notFound();
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
      throw fail(400, "no data provided");
    }
    const merged = mergePatch(
      (current.data as { data: Record<string, unknown> }).data,
      patch as Record<string, unknown>,
    );
    return this.write(path, merged, options);
  }

  softDeleteLatest(path: string): void {
    const key = this.keys.get(path);
    const state = key?.versions.get(key.currentVersion);
    if (state && state.deletionTime === "" && !state.destroyed) state.deletionTime = this.now();
  }

  deleteVersions(path: string, versions: unknown): void {
    this.eachVersion(path, versions, (state) => {
      if (state.deletionTime === "" && !state.destroyed) state.deletionTime = this.now();
    });
  }

  undelete(path: string, versions: unknown): void {
    this.eachVersion(path, versions, (state) => {
      if (!state.destroyed) state.deletionTime = "";
    });
  }

  destroy(path: string, versions: unknown): void {
    this.eachVersion(
      path,
      versions,
      (state) => {
        state.destroyed = true;
        state.data = null;
      },
      "no version number provided",
    );
  }

  metadata(path: string): Record<string, unknown> {
    const key = this.keys.get(path);
    if (!key) throw notFound();
    const versions: Record<string, unknown> = {};
    for (const [number, state] of [...key.versions].sort(([a], [b]) => a - b)) {
      versions[String(number)] = {
        created_time: state.createdTime,
        deletion_time: state.deletionTime,
        destroyed: state.destroyed,
      };
    }
    return {
      cas_required: key.casRequired,
      created_time: key.createdTime,
      current_version: key.currentVersion,
      custom_metadata: key.customMetadata,
      delete_version_after: key.deleteVersionAfter,
      max_versions: key.maxVersions,
      oldest_version: key.oldestVersion,
      updated_time: key.updatedTime,
      versions,
    };
  }

  /**
   * Creates the key's metadata if needed and applies the settings given. As
   * `pathMetadataWrite` (path_metadata.go:345-419; docs/vault-contract.md row 10): a body with none of
   * the four settings does nothing (no key appears), `updated_time` is left alone, and
   * nothing is pruned until the next data write.
   */
  writeMetadata(path: string, body: Record<string, unknown>): void {
    const settings = ["max_versions", "cas_required", "delete_version_after", "custom_metadata"];
    if (!settings.some((name) => body[name] !== undefined)) return;
    const key = this.keys.get(path) ?? this.newKey(this.now());
    if (body.max_versions !== undefined)
      key.maxVersions = nonNegativeInt(body.max_versions, "max_versions");
    if (body.cas_required !== undefined) key.casRequired = Boolean(body.cas_required);
    if (typeof body.delete_version_after === "string") {
      key.deleteVersionAfter = body.delete_version_after;
    }
    if (body.custom_metadata !== undefined) {
      key.customMetadata = stringMap(body.custom_metadata);
    }
    this.keys.set(path, key);
  }

  deleteMetadata(path: string): void {
    this.keys.delete(path);
  }

  /** Direct children of `prefix` (folders with a trailing `/`), or 404 when none. */
  list(prefix: string): string[] {
    const base = prefix === "" ? "" : `${prefix.replace(/\/+$/, "")}/`;
    const children = new Set<string>();
    for (const path of this.keys.keys()) {
      if (!path.startsWith(base)) continue;
      const rest = path.slice(base.length);
      const slash = rest.indexOf("/");
      children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
    }
    children.delete("");
    if (children.size === 0) throw notFound();
    return [...children].sort();
  }

  configure(body: Record<string, unknown>): void {
    if (body.max_versions !== undefined) {
      this.config.maxVersions = nonNegativeInt(body.max_versions, "max_versions");
    }
    if (body.cas_required !== undefined) this.config.casRequired = Boolean(body.cas_required);
    if (typeof body.delete_version_after === "string") {
      this.config.deleteVersionAfter = body.delete_version_after;
    }
  }

  private newKey(now: string): KvKeyState {
    return {
      versions: new Map(),
      currentVersion: 0,
      oldestVersion: 0,
      maxVersions: 0,
      casRequired: false,
      deleteVersionAfter: "0s",
      customMetadata: null,
      createdTime: now,
      updatedTime: now,
    };
  }

  private checkCas(key: KvKeyState | undefined, options: unknown): void {
    const cas = (options as { cas?: unknown } | undefined)?.cas;
    const required = this.config.casRequired || Boolean(key?.casRequired);
    if (cas === undefined || cas === null) {
      if (required) throw fail(400, "check-and-set parameter required for this call");
      return;
    }
    const current = key?.currentVersion ?? 0;
    if (typeof cas !== "number" || cas !== current) {
      throw fail(400, "check-and-set parameter did not match the current version");
    }
  }

  /**
   * `KeyMetadata.AddVersion` after a write (path_data.go:711-750; rows 9, 11): the window
   * is max(key max_versions, mount max_versions), 10 when both are 0. `oldest_version`
   * stays 0 until the window is first full, then becomes versionToDelete + 1.
   */
  private prune(key: KvKeyState): void {
    const keep = Math.max(key.maxVersions, this.config.maxVersions) || DEFAULT_MAX_VERSIONS;
    if (key.currentVersion - key.oldestVersion < keep) return;
    const versionToDelete = key.currentVersion - keep;
    for (let version = key.oldestVersion; version <= versionToDelete; version++) {
      key.versions.delete(version);
    }
    key.oldestVersion = versionToDelete + 1;
  }

  /**
   * Applies to each listed version. An empty list is 400; the message is capitalised for
   * delete/undelete and not for destroy (path_delete.go:100,164, path_destroy.go:60; row 14).
   */
  private eachVersion(
    path: string,
    versions: unknown,
    apply: (state: KvVersionState) => void,
    message = "No version number provided",
  ) {
    if (!Array.isArray(versions) || versions.length === 0) throw fail(400, message);
    const key = this.keys.get(path);
    if (!key) return; // Vault answers 204 for a missing key
    for (const version of versions) {
      const state = key.versions.get(Number(version));
      if (state) apply(state);
    }
  }
}

function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>) {
  const out: Record<string, unknown> = { ...target };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete out[name];
    else if (typeof value === "object" && !Array.isArray(value)) {
      const base = out[name];
      out[name] = mergePatch(
        typeof base === "object" && base !== null && !Array.isArray(base)
          ? (base as Record<string, unknown>)
          : {},
        value as Record<string, unknown>,
      );
    } else out[name] = value;
  }
  return out;
}

function nonNegativeInt(value: unknown, field: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw new VaultHttpError(400, { errors: [`${field} must be a non-negative integer`] });
  }
  return number;
}

function stringMap(value: unknown): Record<string, string> | null {
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw fail(400, "custom_metadata must be a map of strings");
  }
  const out: Record<string, string> = {};
  for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
    out[name] = String(item);
  }
  return out;
}
