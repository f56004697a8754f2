/**
 * Finds a JSON object with the same key twice, nesting deeper than `maxDepth`, or a key
 * named `__proto__`, `constructor` or `prototype`. Of a repeated key `JSON.parse` silently
 * keeps the last value, and other parsers keep the first: a signed token with duplicate
 * claims could mean one thing here and another in a Python service (RFC 7515 section 4,
 * RFC 8725 section 3.x).
 * No maintained library answers just this question cheaply, hence this small scanner.
 *
 * It runs only on text `JSON.parse` accepted, given with that parse's result. Outside
 * strings, every `:` of valid JSON separates one key from its value, so the text holds as
 * many keys as it has such colons; `JSON.parse` keeps one property per distinct key
 * (escaped spellings and `__proto__` included), so the parsed objects hold fewer keys than
 * the text exactly when some object repeats a key. Counting avoids slicing and hashing
 * every key: about three times faster than a set of keys per object (docs/performance.md).
 */
export function jsonShapeProblem(
  json: string,
  parsed: unknown,
  maxDepth = MAX_JSON_DEPTH,
): "duplicate key" | "nested too deeply" | "forbidden key name" | undefined {
  let depth = 0;
  let keys = 0;
  const length = json.length;
  for (let i = 0; i < length; i += 1) {
    const char = json.charCodeAt(i);
    if (char === 0x22 /* " */) {
      i = stringEnd(json, i);
    } else if (char === 0x3a /* : */) {
      keys += 1;
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      depth += 1;
      if (depth > maxDepth) return "nested too deeply";
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth -= 1;
    }
  }
  const counted = countKeys(parsed);
  if (counted < 0) return "forbidden key name";
  return keys === counted ? undefined : "duplicate key";
}

/**
 * Key names no token may carry, at any depth: code that copies or merges claims into plain
 * objects (`Object.assign`, a deep merge) would change a prototype instead of setting data.
 */
export const FORBIDDEN_KEY_NAMES: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

/** Claims never need more: deeper nesting is a parser attack, not data. */
export const MAX_JSON_DEPTH = 16;

/** Index of the closing quote of the string starting at `start`. */
function stringEnd(json: string, start: number): number {
  let end = json.indexOf('"', start + 1);
  while (end !== -1) {
    // The quote is escaped when an odd number of backslashes precede it.
    let backslashes = 0;
    for (let j = end - 1; json.charCodeAt(j) === 0x5c /* \ */; j -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = json.indexOf('"', end + 1);
  }
  return json.length - 1;
}

/**
 * Own keys of every object in a `JSON.parse` result (depth already bounded by the scan), or
 * -1 as soon as one is a {@link FORBIDDEN_KEY_NAMES} name.
 */
function countKeys(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const inner = countKeys(item);
      if (inner < 0) return inner;
      count += inner;
    }
    return count;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (FORBIDDEN_KEY_NAMES.has(key)) return -1;
    const inner = countKeys(record[key]);
    if (inner < 0) return inner;
    count += 1 + inner;
  }
  return count;
}
