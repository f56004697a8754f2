/**
 * Finds a JSON object with the same key twice, or nesting deeper than `maxDepth`. `JSON.parse` silently keeps the last one,
 * and other parsers keep the first: a signed token with duplicate claims could mean one
 * thing here and another in a Python service (RFC 7515 section 4, RFC 8725 section 3.x).
 * No maintained library answers just this question cheaply, hence this small scanner. It
 * runs only on text `JSON.parse` accepted, so it does not validate JSON itself.
 */
export function jsonShapeProblem(
  json: string,
  maxDepth = MAX_JSON_DEPTH,
): "duplicate key" | "nested too deeply" | undefined {
  const stack: Array<Set<string> | null> = []; // a Set per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < json.length; i += 1) {
    const char = json.charCodeAt(i);
    if (char === 0x22 /* " */) {
      const end = stringEnd(json, i);
      const keys = stack.at(-1);
      if (expectKey && keys) {
        const raw = json.slice(i, end + 1);
        const key = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (keys.has(key)) return "duplicate key";
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (char === 0x7b /* { */) {
      if (stack.push(new Set()) > maxDepth) return "nested too deeply";
      expectKey = true;
    } else if (char === 0x5b /* [ */) {
      if (stack.push(null) > maxDepth) return "nested too deeply";
      expectKey = false;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (char === 0x2c /* , */) {
      expectKey = stack.at(-1) instanceof Set;
    }
  }
  return undefined;
}

/** Claims never need more: deeper nesting is a parser attack, not data. */
export const MAX_JSON_DEPTH = 16;

/** Index of the closing quote of the string starting at `start`. */
function stringEnd(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i += 1) {
    const char = json.charCodeAt(i);
    if (char === 0x5c /* \ */) i += 1;
    else if (char === 0x22) return i;
  }
  return json.length - 1;
}
