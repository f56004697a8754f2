/**
 * Operator-only work on the embedded store's signing secrets that a `SecretSource` does not
 * offer: which names exist under a folder, and deleting one with all its versions (what
 * `vault kv metadata delete` does in Vault). Values are never read here.
 */
import type { AuthDatabase } from "./database.js";

const SQL = {
  names: "SELECT DISTINCT name FROM secrets WHERE substr(name, 1, ?) = ? ORDER BY name",
  delete: "DELETE FROM secrets WHERE name = ?",
} as const;

/**
 * The secret names directly under `folder` (e.g. `gofr/config/jwt-signing-secrets`), as the
 * part after `folder/`, sorted. Deeper names (`folder/a/b`) are not listed, as in Vault.
 */
export function listSecretNames(database: AuthDatabase, folder: string): string[] {
  const prefix = `${folder.replace(/\/+$/, "")}/`;
  const rows = database.read(
    "list secrets",
    () => database.statement(SQL.names).all(prefix.length, prefix) as Array<{ name: string }>,
  );
  return rows.map((row) => row.name.slice(prefix.length)).filter((rest) => !rest.includes("/"));
}

/** Deletes every version of secret `name`; returns how many versions there were. */
export function deleteSecret(database: AuthDatabase, name: string): number {
  return database.write("delete secret", () => database.statement(SQL.delete).run(name).changes);
}
