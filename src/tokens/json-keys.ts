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
 * every key (docs/performance.md).
 *
 * Fast path first: colons anywhere in the text >= colons outside strings (its keys) >= keys
 * parsed, so when the first equals the last no key repeats; then the parsed value holds
 * every container of the text, and its nesting is the text's. A colon inside a string (a
 * URL, a time), a prototype key name or too deep a value sends the text to the exact scan
 * (the same verdict, in the same order: depth, then names, then repeats).
 */
export function jsonShapeProblem(
  json: string,
  parsed: unknown,
  maxDepth = MAX_JSON_DEPTH,
): "duplicate key" | "nested too deeply" | "forbidden key name" | undefined {
  const counted = countKeys(parsed, maxDepth);
  // A negative `counted` (TOO_DEEP, FORBIDDEN) equals no colon count.
  // Stryker disable next-line ConditionalExpression: skipping the fast path leaves the exact scan, which gives the same verdict (test/tokens/json-shape.test.ts)
  if (countColons(json) === counted) return undefined;
  return exactShapeProblem(json, parsed, maxDepth);
}

/**
 * The scan itself: depth and keys from the text (a repeated key's dropped value may have
 * nested deeper than anything parsed), then prototype names and the count from the value.
 */
function exactShapeProblem(
  json: string,
  parsed: unknown,
  maxDepth: number,
): "duplicate key" | "nested too deeply" | "forbidden key name" | undefined {
  const keys = keysInText(json, maxDepth);
  if (keys === TOO_DEEP) return "nested too deeply";
  // The text nests no deeper than maxDepth, so neither does the value: no limit needed.
  const counted = countKeys(parsed, Number.POSITIVE_INFINITY);
  if (counted === FORBIDDEN) return "forbidden key name";
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

/** `countKeys` results that are not counts. */
const TOO_DEEP = -1;
const FORBIDDEN = -2;

/** Every `:` in `json`, inside strings or not (`indexOf` runs natively: no per-character loop). */
function countColons(json: string): number {
  let count = 0;
  // Stryker disable next-line StringLiteral,ConditionalExpression,AssignmentOperator: a wrong count only misses the fast path (too low, negative, or one too high: "" is found at 0)
  for (let at = json.indexOf(":"); at !== -1; at = json.indexOf(":", at + 1)) count += 1;
  return count;
}

/** The `:` separators outside strings of valid JSON (one per key), or TOO_DEEP. */
function keysInText(json: string, maxDepth: number): number {
  let depth = 0;
  let keys = 0;
  const length = json.length;
  // Stryker disable next-line EqualityOperator: charCodeAt(length) is NaN, which matches no branch
  for (let i = 0; i < length; i += 1) {
    const char = json.charCodeAt(i);
    if (char === 0x22 /* " */) {
      i = stringEnd(json, i);
    } else if (char === 0x3a /* : */) {
      keys += 1;
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      depth += 1;
      if (depth > maxDepth) return TOO_DEEP;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth -= 1;
    }
  }
  return keys;
}

/** Index of the closing quote of the string starting at `start`. */
function stringEnd(json: string, start: number): number {
  let end = json.indexOf('"', start + 1);
  while (end !== -1) {
    // The quote is escaped when an odd number of backslashes precede it.
    let backslashes = 0;
    // Stryker disable next-line AssignmentOperator: only the parity is read, and -n % 2 is (-)0 exactly when n is even
    for (let j = end - 1; json.charCodeAt(j) === 0x5c /* \ */; j -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = json.indexOf('"', end + 1);
  }
  // Stryker disable next-line ArithmeticOperator: only for an unterminated string, which JSON.parse refused first; any index past the end ends the scan
  return json.length - 1;
}

/**
 * Own keys of every object in a `JSON.parse` result; {@link TOO_DEEP} when containers nest
 * deeper than `depthLeft`, {@link FORBIDDEN} as soon as a key is a
 * {@link FORBIDDEN_KEY_NAMES} name. `for...in` lists no inherited keys of `JSON.parse`
 * objects and allocates no key list; if something made a key of `Object.prototype`
 * enumerable, the counts disagree and the token is refused.
 */
function countKeys(value: unknown, depthLeft: number): number {
  if (typeof value !== "object" || value === null) return 0;
  if (depthLeft === 0) return TOO_DEEP;
  let count = 0;
  if (Array.isArray(value)) {
    // Stryker disable next-line EqualityOperator: value[value.length] is undefined, skipped like any primitive
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      // Stryker disable next-line ConditionalExpression,LogicalOperator: only saves the call; countKeys returns 0 for a primitive or null
      if (typeof item !== "object" || item === null) continue;
      const inner = countKeys(item, depthLeft - 1);
      if (inner < 0) return inner;
      count += inner;
    }
    return count;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (FORBIDDEN_KEY_NAMES.has(key)) return FORBIDDEN;
    count += 1;
    const item = record[key];
    // Stryker disable next-line ConditionalExpression,LogicalOperator: only saves the call; countKeys returns 0 for a primitive or null
    if (typeof item !== "object" || item === null) continue;
    const inner = countKeys(item, depthLeft - 1);
    if (inner < 0) return inner;
    count += inner;
  }
  return count;
}
