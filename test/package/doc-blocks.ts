/**
 * The fenced code blocks of README.md and docs/*.md, for the tests that keep them working:
 * extraction, a type-check of the `ts` blocks against the package's own source, and a runner
 * for the ones that run.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";

const REPO = resolve(".");
/** Put before a block (alone on its line) to have the README-code test run it. */
export const RUN_MARKER = "<!-- run -->";

export interface CodeBlock {
  /** Relative to the repository, e.g. `docs/vault.md`. */
  file: string;
  /** 1-based line of the block's first code line. */
  line: number;
  lang: string;
  code: string;
  /** Preceded by {@link RUN_MARKER}. */
  run: boolean;
  /** The nearest heading above the block. */
  section: string;
}

/** README.md and every Markdown file in docs/. */
export function docFiles(): string[] {
  const docs = readdirSync(join(REPO, "docs")).filter((name) => name.endsWith(".md"));
  return ["README.md", ...docs.sort().map((name) => `docs/${name}`)];
}

/** The fenced blocks of one Markdown file (fences at the start of a line only). */
export function codeBlocks(file: string, text = readFileSync(join(REPO, file), "utf8")) {
  const blocks: CodeBlock[] = [];
  const lines = text.split("\n");
  let section = "";
  let previous = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const open = /^(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (!open) {
      if (line.startsWith("#")) section = line.replace(/^#+\s*/, "");
      if (line.trim() !== "") previous = line.trim();
      continue;
    }
    const fence = open[1] ?? "```";
    const end = lines.findIndex((candidate, at) => at > i && candidate.startsWith(fence));
    const last = end === -1 ? lines.length : end;
    blocks.push({
      file,
      line: i + 2,
      lang: open[2] ?? "",
      code: lines.slice(i + 1, last).join("\n"),
      run: previous === RUN_MARKER,
      section,
    });
    i = last;
    previous = "";
  }
  return blocks;
}

/** Every block of every doc file. */
export function allCodeBlocks(): CodeBlock[] {
  return docFiles().flatMap((file) => codeBlocks(file));
}

/** Where a block is, for messages: `README.md:112`. */
export function where(block: CodeBlock, lineInBlock = 0): string {
  return `${block.file}:${block.line + lineInBlock}`;
}

/**
 * Names the docs leave to the reader (their own data access, their own secret store), with
 * the types such code would have. A new undefined name in a block fails the type-check
 * until it is defined in the block or declared here (and given a value in {@link RUNTIME_STUBS}).
 */
const TYPE_STUBS = `
import type { FastifyInstance } from "fastify";
import type { SecretSource } from "gofr-auth";
declare global {
  const app: FastifyInstance;
  function listInvoices(subject: string): Promise<unknown>;
  const mySecretSource: SecretSource;
}
export {};
`;

/** Values for the same names when a block runs (JavaScript, prepended to the block). */
const RUNTIME_STUBS: Record<string, string> = {
  app: 'const app = (await import("fastify")).default();',
  listInvoices: "const listInvoices = async (subject) => ({ subject, invoices: [] });",
  mySecretSource: [
    'const { MemorySecretSource: __Source, SHARED_SECRET_NAME: __name } = await import("gofr-auth");',
    'const { randomBytes: __random } = await import("node:crypto");',
    'const mySecretSource = new __Source({ secrets: { [__name]: __random(32).toString("base64url") } });',
  ].join("\n"),
};

/** The package's subpath exports: `gofr-auth/fastify` → its types and JavaScript in dist/. */
export function packageExports(): Array<{ specifier: string; types: string; js: string }> {
  const manifest = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
    exports: Record<string, string | { types: string; import: string }>;
  };
  return Object.entries(manifest.exports).flatMap(([subpath, target]) =>
    typeof target === "string"
      ? []
      : [
          {
            specifier: subpath === "." ? "gofr-auth" : `gofr-auth/${subpath.slice(2)}`,
            types: target.types,
            js: target.import,
          },
        ],
  );
}

/**
 * Type-checks `ts` blocks with the project's compiler options, `gofr-auth/*` mapped to the
 * sources in src/ (what the built dist/ declares). Returns one message per problem.
 */
export function typeCheckBlocks(blocks: readonly CodeBlock[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(REPO, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error("tsconfig.json could not be read");
  const paths = Object.fromEntries(
    packageExports().map(({ specifier, types }) => [
      specifier,
      [join(REPO, types.replace(/^\.\/dist\//, "src/").replace(/\.d\.ts$/, ".ts"))],
    ]),
  );
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    paths,
    // Each block is a module of its own (top-level await; no clashes between blocks).
    moduleDetection: ts.ModuleDetectionKind.Force,
  };
  // Virtual files in a folder that does not exist: bare imports resolve from the repository.
  const dir = join(REPO, "test", "package", "__doc_blocks__");
  const virtual = new Map<string, string>([[join(dir, "stubs.d.ts"), TYPE_STUBS]]);
  const byFile = new Map<string, CodeBlock>();
  blocks.forEach((block, index) => {
    const name = join(dir, `block${index}.ts`);
    virtual.set(name, block.code);
    byFile.set(name, block);
  });
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => virtual.has(name) || fileExists.call(host, name);
  host.readFile = (name) => virtual.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, version, ...rest) => {
    const text = virtual.get(name);
    return text === undefined
      ? getSourceFile.call(host, name, version, ...rest)
      : ts.createSourceFile(name, text, version, true);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  const problems: string[] = [];
  for (const name of virtual.keys()) {
    const source = program.getSourceFile(name);
    if (!source) throw new Error(`no source file for ${name}`);
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const diagnostic of diagnostics) {
      const block = byFile.get(name);
      const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
      problems.push(`${block ? where(block, line) : "stubs.d.ts"}: TS${diagnostic.code} ${text}`);
    }
  }
  return problems;
}

/** Top-level names a block declares (imports, consts, functions, classes). */
function declaredNames(code: string): Set<string> {
  const source = ts.createSourceFile("block.ts", code, ts.ScriptTarget.ES2022, true);
  const names = new Set<string>();
  const addBinding = (binding: ts.BindingName): void => {
    if (ts.isIdentifier(binding)) {
      names.add(binding.text);
      return;
    }
    for (const element of binding.elements) {
      if (!ts.isOmittedExpression(element)) addBinding(element.name);
    }
  };
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const { name } of statement.declarationList.declarations) addBinding(name);
    } else if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) {
      if (statement.name) names.add(statement.name.text);
    } else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const { name, namedBindings } = statement.importClause;
      if (name) names.add(name.text);
      if (namedBindings && ts.isNamespaceImport(namedBindings)) names.add(namedBindings.name.text);
      if (namedBindings && ts.isNamedImports(namedBindings)) {
        for (const element of namedBindings.elements) names.add(element.name.text);
      }
    }
  }
  return names;
}

/**
 * A block as an ES module running against the built package (dist/): type-only syntax
 * removed, `gofr-auth/*` imports pointed at dist/, the reader's names given stub values
 * (those the block uses and does not declare), then `epilogue`.
 */
export function runnableModule(block: CodeBlock, epilogue = ""): string {
  const declared = declaredNames(block.code);
  const stubs = Object.entries(RUNTIME_STUBS)
    .filter(([name]) => !declared.has(name) && new RegExp(`\\b${name}\\b`).test(block.code))
    .map(([, value]) => value);
  const output = ts.transpileModule(
    `${stubs.join("\n")}\n${block.code}\n${epilogue}\nexport {};\n`,
    {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    },
  ).outputText;
  const dist = new Map(
    packageExports().map(({ specifier, js }) => [specifier, pathToFileURL(join(REPO, js)).href]),
  );
  return output.replace(
    /(from\s*|import\s*\(\s*)"(gofr-auth(?:\/[\w-]+)?)"/g,
    (_all, lead, specifier) => {
      const url = dist.get(specifier);
      if (!url) throw new Error(`${where(block)}: '${specifier}' is not an export of the package`);
      return `${lead}"${url}"`;
    },
  );
}

const run = promisify(execFile);

/**
 * Runs {@link runnableModule} in a child `node` with `env` and `cwd`. The module file is
 * written under node_modules/.cache so bare imports (fastify, ...) resolve from this
 * repository; it is removed afterwards.
 */
export async function runBlock(
  block: CodeBlock,
  options: { env: NodeJS.ProcessEnv; cwd: string; epilogue?: string },
): Promise<{ stdout: string; stderr: string }> {
  const cache = join(REPO, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, "gofr-auth-doc-block-"));
  try {
    const file = join(dir, "block.mjs");
    writeFileSync(file, runnableModule(block, options.epilogue));
    return await run(process.execPath, [file], {
      cwd: options.cwd,
      env: options.env,
      timeout: 30_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `process.env` without any `GOFR*` variable, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("GOFR")),
  );
  return { ...env, ...extra };
}
