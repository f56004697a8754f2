/**
 * Comparing KV data as values, never as text. Vault stores a write as `json.Marshal` of a
 * Go map and answers reads through one, so the keys come back sorted, not in the order
 * they were written (vault-plugin-secrets-kv `path_data.go` write and read; Go
 * `encoding/json`: "The map keys are sorted"; docs/vault-contract.md row 17, M1).
 */

/** True when two JSON values are equal, whatever the order of their object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameJson(item, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
