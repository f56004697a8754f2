/**
 * `jsonShapeProblem` answers from key counts: the parsed value's keys against the colons of
 * the text, all of them first (a fast path, exact only when no string holds a colon) and
 * those outside strings otherwise (src/tokens/json-keys.ts). Here JSON texts are generated
 * from a model whose answer is known (keys repeated, spelled with escapes, colons, quotes and
 * backslashes inside strings, whitespace, nesting, prototype key names), so both paths are
 * checked against the truth rather than against each other.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FORBIDDEN_KEY_NAMES, jsonShapeProblem } from "../../src/tokens/json-keys.js";

type Model =
  | { kind: "object"; pairs: Array<{ key: string; escapes: number[]; value: Model }> }
  | { kind: "array"; items: Model[] }
  | { kind: "string"; value: string }
  | { kind: "number"; value: number };

const KEYS = ["a", "b", "aud", "x:y", 'q"', "b\\", "__proto__", "constructor", "prototype"];
const STRINGS = ["", ":", '":', '\\":', "{[", "a:b:c", "\\", '"', "é:ü", "https://x.example"];
const SPACES = ["", " ", "\n  "];

const model: fc.Arbitrary<Model> = fc.letrec<{ node: Model }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ kind: fc.constant("string" as const), value: fc.constantFrom(...STRINGS) }),
    fc.record({ kind: fc.constant("number" as const), value: fc.integer() }),
    fc.record({
      kind: fc.constant("object" as const),
      pairs: fc.array(
        fc.record({
          key: fc.constantFrom(...KEYS),
          escapes: fc.array(fc.nat(8), { maxLength: 3 }),
          value: tie("node"),
        }),
        { maxLength: 4 },
      ),
    }),
    fc.record({
      kind: fc.constant("array" as const),
      items: fc.array(tie("node"), { maxLength: 3 }),
    }),
  ),
})).node;

/** A key's JSON spelling with the characters at `escapes` written as `\uXXXX`. */
function spell(key: string, escapes: number[]): string {
  let text = "";
  for (let i = 0; i < key.length; i += 1) {
    const char = key[i] as string;
    text += escapes.includes(i)
      ? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`
      : JSON.stringify(char).slice(1, -1);
  }
  return `"${text}"`;
}

function serialize(node: Model, space: (n: number) => string, at = { n: 0 }): string {
  const gap = () => {
    at.n += 1;
    return space(at.n);
  };
  switch (node.kind) {
    case "string":
      return JSON.stringify(node.value);
    case "number":
      return String(node.value);
    case "array":
      return `[${gap()}${node.items.map((item) => serialize(item, space, at)).join(`,${gap()}`)}]`;
    case "object":
      return `{${gap()}${node.pairs
        .map(
          ({ key, escapes, value }) =>
            `${spell(key, escapes)}${gap()}:${gap()}${serialize(value, space, at)}`,
        )
        .join(`,${gap()}`)}${gap()}}`;
  }
}

/**
 * The answer, from the model: depth first (of the text: a repeated key's dropped value
 * counts), then prototype names (in the parsed value: the last of repeated keys wins), then
 * repeats.
 */
function truth(node: Model, maxDepth: number): ReturnType<typeof jsonShapeProblem> {
  let deepest = 0;
  let repeated = false;
  const walk = (value: Model, depth: number) => {
    if (value.kind === "array" || value.kind === "object") deepest = Math.max(deepest, depth);
    if (value.kind === "array") for (const item of value.items) walk(item, depth + 1);
    if (value.kind !== "object") return;
    const keys = value.pairs.map((pair) => pair.key);
    if (new Set(keys).size < keys.length) repeated = true;
    for (const pair of value.pairs) walk(pair.value, depth + 1);
  };
  const forbidden = (value: Model): boolean => {
    if (value.kind === "array") return value.items.some(forbidden);
    if (value.kind !== "object") return false;
    const parsed = new Map(value.pairs.map((pair) => [pair.key, pair.value]));
    return [...parsed].some(([key, inner]) => FORBIDDEN_KEY_NAMES.has(key) || forbidden(inner));
  };
  walk(node, 1);
  if (deepest > maxDepth) return "nested too deeply";
  if (forbidden(node)) return "forbidden key name";
  return repeated ? "duplicate key" : undefined;
}

describe("jsonShapeProblem", () => {
  it("agrees with the model on generated JSON texts, both counting paths included", () => {
    fc.assert(
      fc.property(model, fc.array(fc.constantFrom(...SPACES)), fc.nat(5), (node, spaces, cut) => {
        const text = serialize(node, (n) => spaces[n % Math.max(spaces.length, 1)] ?? "");
        const maxDepth = cut + 1;
        expect(jsonShapeProblem(text, JSON.parse(text), maxDepth), text).toBe(
          truth(node, maxDepth),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("finds a repeated key when a string value's colon pads the colon count", () => {
    // Two keys in the text, one parsed, and three colons: only the exact scan can tell.
    const text = '{"a":"x:y","a":1}';
    expect(jsonShapeProblem(text, JSON.parse(text))).toBe("duplicate key");
    const fine = '{"a":"x:y","b":1}';
    expect(jsonShapeProblem(fine, JSON.parse(fine))).toBeUndefined();
  });

  it("reports depth before a prototype key name found earlier in the value", () => {
    const text = '{"__proto__":1,"a":[[[[1]]]]}';
    expect(jsonShapeProblem(text, JSON.parse(text), 4)).toBe("nested too deeply");
    expect(jsonShapeProblem(text, JSON.parse(text), 5)).toBe("forbidden key name");
  });

  it("refuses rather than miscounts when Object.prototype has an enumerable key", () => {
    const text = '{"a":1,"b":[{"c":2}]}';
    const parsed = JSON.parse(text);
    expect(jsonShapeProblem(text, parsed)).toBeUndefined();
    let verdict: ReturnType<typeof jsonShapeProblem>;
    Object.defineProperty(Object.prototype, "polluted", {
      value: 1,
      enumerable: true,
      configurable: true,
      writable: true,
    });
    try {
      verdict = jsonShapeProblem(text, parsed);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    expect(verdict).toBe("duplicate key");
  });

  it("counts no keys in a top-level string, number or null", () => {
    for (const text of ['"abc"', "42", "null", "[]", '["a:b"]']) {
      expect(jsonShapeProblem(text, JSON.parse(text)), text).toBeUndefined();
    }
  });
});
