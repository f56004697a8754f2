import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { allCodeBlocks, type CodeBlock, codeBlocks, where } from "./doc-blocks.js";

const run = promisify(execFile);
const CLI = resolve("dist/cli/main.js");

/** What `gofr-auth [path...] --help` lists. */
interface Help {
  commands: Set<string>;
  /** Short and long forms (`-g`, `--groups`), each with whether it takes a value. */
  options: Map<string, boolean>;
}

const helps = new Map<string, Promise<Help | undefined>>();

/** The help of a command path, or undefined when the CLI refuses the path. */
function helpOf(path: readonly string[]): Promise<Help | undefined> {
  const key = path.join(" ");
  let help = helps.get(key);
  if (!help) {
    help = run(process.execPath, [CLI, ...path, "--help"]).then(
      ({ stdout }) => parseHelp(stdout),
      () => undefined,
    );
    helps.set(key, help);
  }
  return help;
}

/** Commander's help: entries under `Options:` and `Commands:`, two spaces in. */
function parseHelp(text: string): Help {
  const help: Help = { commands: new Set(), options: new Map() };
  let section = "";
  for (const line of text.split("\n")) {
    if (/^\S/.test(line)) section = line.trim();
    const entry = /^ {2}(\S.*)$/.exec(line)?.[1];
    if (!entry) continue;
    if (section === "Commands:") help.commands.add(entry.split(/\s/)[0] ?? "");
    if (section === "Options:") {
      // "-g, --groups <names>   comma-separated ...": the flags, then the value's name.
      const spec = entry.split(/\s{2,}/)[0] ?? "";
      for (const flag of spec.match(/--?[\w-]+/g) ?? []) help.options.set(flag, /[<[]/.test(spec));
    }
  }
  return help;
}

/** Shell words up to a comment, redirection, pipe or `&&`; quotes kept whole. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const match of line.matchAll(/"(?:[^"\\]|\\.)*"|'[^']*'|[^\s"']+/g)) {
    const word = match[0];
    if (word.startsWith("#") || /^(>|>>|\||&&|;|2>)/.test(word)) break;
    out.push(word);
  }
  return out;
}

/** The `gofr-auth ...` lines of sh blocks (after a `$ ` prompt or `npx`), as words. */
function cliLines(blocks: readonly CodeBlock[]) {
  return blocks
    .filter((block) => block.lang === "sh")
    .flatMap((block) =>
      block.code.split("\n").flatMap((text, index) => {
        const command = words(text.replace(/^\$\s+/, "")).filter(
          (word, at) => at > 0 || word !== "npx",
        );
        return command[0] === "gofr-auth"
          ? [{ at: where(block, index), args: command.slice(1) }]
          : [];
      }),
    );
}

/**
 * Problems with one command line: a subcommand the CLI does not have, or a flag that neither
 * the command nor its parents (global flags) list. `[--flag X]` (optional, in prose) counts
 * as `--flag X`.
 */
async function checkLine(args: readonly string[]): Promise<string[]> {
  const path: string[] = [];
  const name = () => ["gofr-auth", ...path].join(" ");
  const known = new Map((await helpOf([]))?.options);
  const problems: string[] = [];
  let leaf = false;
  for (let i = 0; i < args.length; i++) {
    const word = (args[i] ?? "").replace(/^\[|\]$/g, "");
    if (word.startsWith("-")) {
      const flag = word.split("=")[0] ?? word;
      const takesValue = known.get(flag);
      if (takesValue === undefined) problems.push(`'${flag}' is not an option of '${name()}'`);
      else if (takesValue && !word.includes("=")) i++; // its value
      continue;
    }
    if (leaf) continue;
    const help = await helpOf(path);
    if (!help || help.commands.size === 0) {
      leaf = true; // an argument of the command
      continue;
    }
    if (!help.commands.has(word))
      return [...problems, `no command '${word}' in '${name()} --help'`];
    path.push(word);
    const own = await helpOf(path);
    if (!own) return [...problems, `'${name()} --help' fails`];
    for (const [flag, takesValue] of own.options) known.set(flag, takesValue);
  }
  return problems;
}

describe("the gofr-auth commands in the sh blocks of README.md and docs/", () => {
  const lines = cliLines(allCodeBlocks());

  it("each names a command and options that the built CLI's --help lists", async () => {
    // Both the README's CLI section and docs/operations.md show commands.
    expect(new Set(lines.map(({ at }) => at.split(":")[0]))).toEqual(
      new Set(["README.md", "docs/operations.md"]),
    );
    const problems = await Promise.all(
      lines.map(async ({ at, args }) => (await checkLine(args)).map((text) => `${at}: ${text}`)),
    );
    expect(problems.flat()).toEqual([]);
  });

  it("the check reports unknown commands and options, and accepts global flags first", async () => {
    const [block] = codeBlocks(
      "broken.md",
      [
        "```sh",
        "gofr-auth tokens frobnicate",
        "gofr-auth tokens create --group admin --yes   # singular; --yes is rotate's",
        "npx gofr-auth launch",
        "$ gofr-auth --env-prefix GOFR_X tokens list --status active   # global flag first: fine",
        "```",
      ].join("\n"),
    );
    if (!block) throw new Error("no block parsed");
    const found = await Promise.all(cliLines([block]).map(({ args }) => checkLine(args)));
    expect(found).toEqual([
      ["no command 'frobnicate' in 'gofr-auth tokens --help'"],
      [
        "'--group' is not an option of 'gofr-auth tokens create'",
        "'--yes' is not an option of 'gofr-auth tokens create'",
      ],
      ["no command 'launch' in 'gofr-auth --help'"],
      [],
    ]);
  });
});
