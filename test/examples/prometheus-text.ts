/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests of
 * `/metrics`: it throws on anything a Prometheus server would reject or misread (a bad
 * name, label or value, HELP/TYPE repeated or after samples, a family split in two, a
 * sample of an undeclared family, a duplicate series, a missing final newline).
 * Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** `name{a="x",b="y"}` with labels as written, for lookups and comparisons. */
  key: string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
/** What Prometheus reads with Go's strconv.ParseFloat: case-insensitive NaN and Inf too. */
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf|infinity)|nan)$/i;

export function parsePrometheusText(text: string): {
  types: Map<string, string>;
  series: Series[];
} {
  if (!text.endsWith("\n")) throw new Error("the text must end with a newline");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const series: Series[] = [];
  const keys = new Set<string>();
  const closed = new Set<string>(); // families whose lines are over
  let current: string | undefined;
  const enter = (family: string, line: number) => {
    if (family === current) return;
    if (closed.has(family)) throw new Error(`line ${line}: family ${family} is split in two`);
    if (current) closed.add(current);
    current = family;
  };

  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, index) => {
      const at = index + 1;
      if (line === "") return;
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (meta) {
        const [, kind, name = "", rest = ""] = meta;
        if (!NAME.test(name)) throw new Error(`line ${at}: bad metric name ${name}`);
        enter(name, at);
        if (series.some((s) => familyOf(s.name, types) === name)) {
          throw new Error(`line ${at}: ${kind} of ${name} after its samples`);
        }
        if (kind === "HELP") {
          if (helps.has(name)) throw new Error(`line ${at}: second HELP for ${name}`);
          helps.add(name);
        } else {
          if (types.has(name)) throw new Error(`line ${at}: second TYPE for ${name}`);
          if (!TYPES.has(rest)) throw new Error(`line ${at}: unknown type ${rest}`);
          types.set(name, rest);
        }
        return;
      }
      if (line.startsWith("#")) throw new Error(`line ${at}: unexpected comment: ${line}`);
      const parsed = parseSample(line, at);
      const family = familyOf(parsed.name, types);
      if (!family) throw new Error(`line ${at}: ${parsed.name} has no TYPE`);
      enter(family, at);
      if (keys.has(parsed.key)) throw new Error(`line ${at}: duplicate series ${parsed.key}`);
      keys.add(parsed.key);
      series.push(parsed);
    });
  return { types, series };
}

/** The declared family a sample belongs to (histograms and summaries add suffixes). */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const suffixed = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!suffixed) return undefined;
  const [, base = "", suffix] = suffixed;
  const type = types.get(base);
  if (type === "histogram" || (type === "summary" && suffix !== "bucket")) return base;
  return undefined;
}

function parseSample(line: string, at: number): Series {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!head?.[1]) throw new Error(`line ${at}: bad sample: ${line}`);
  const name = head[1];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  let labelText = "";
  if (rest.startsWith("{")) {
    const end = scanLabels(rest, labels, at);
    labelText = rest.slice(0, end);
    rest = rest.slice(end);
  }
  const value = / (\S+)(?: -?\d+)?$/.exec(rest);
  if (!value?.[1] || value.index !== 0 || !VALUE.test(value[1])) {
    throw new Error(`line ${at}: bad value in: ${line}`);
  }
  return { name, labels, value: toNumber(value[1]), key: `${name}${labelText}` };
}

function toNumber(text: string): number {
  const lower = text.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (lower.endsWith("inf") || lower.endsWith("infinity")) {
    return lower.startsWith("-") ? -Infinity : Infinity;
  }
  return Number(text);
}

/** Reads `{a="x",b="y"}` from the start of `text` into `labels`; returns the length read. */
function scanLabels(text: string, labels: Record<string, string>, at: number): number {
  let i = 1;
  while (text[i] !== "}") {
    const label = /^([^=]+)="/.exec(text.slice(i));
    const labelName = label?.[1];
    if (!labelName || !LABEL.test(labelName))
      throw new Error(`line ${at}: bad label at ${text.slice(i)}`);
    if (labelName in labels) throw new Error(`line ${at}: label ${labelName} repeated`);
    i += labelName.length + 2;
    let value = "";
    for (;;) {
      const char = text[i];
      if (char === undefined || char === "\n")
        throw new Error(`line ${at}: unterminated label value`);
      i += 1;
      if (char === '"') break;
      if (char === "\\") {
        const escaped = text[i];
        i += 1;
        if (escaped === "n") value += "\n";
        else if (escaped === "\\" || escaped === '"') value += escaped;
        else throw new Error(`line ${at}: bad escape \\${escaped}`);
      } else {
        value += char;
      }
    }
    labels[labelName] = value;
    if (text[i] === ",") i += 1;
    else if (text[i] !== "}") throw new Error(`line ${at}: expected , or } at ${text.slice(i)}`);
  }
  return i + 1;
}
