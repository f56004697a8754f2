/**
 * The package as another project gets it: packed from a copy of this checkout (so `npm pack`
 * runs `prepack` and `prepare` → `npm run build` there, not in the dist/ other tests read),
 * installed from the tarball into an empty project with the optional peers, then imported,
 * type-checked and run. One pack and one install, shared by every test here.
 */
import { execFile } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageExports } from "./doc-blocks.js";
import { npmEnv } from "./npm-env.js";

const run = promisify(execFile);
const REPO = resolve(".");
const manifest = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  bin: Record<string, string>;
};
const exportsMap = packageExports();

/** Not part of a checkout: installed, built or written by runs. */
const NOT_SOURCE = new Set([
  "node_modules",
  ".git",
  "dist",
  "coverage",
  "reports",
  ".stryker-tmp",
  ".gofr-auth",
]);
/**
 * The optional peers (for the adapters) and the types a TypeScript user adds, at the
 * versions installed here (so in the npm cache).
 */
const CONSUMER_PACKAGES = [
  "fastify",
  "express",
  "hono",
  "@modelcontextprotocol/sdk",
  "@types/node",
  "@types/express",
];

interface Packed {
  filename: string;
  files: Array<{ path: string; mode: number }>;
}

let work = "";
let consumer = "";
let tarball = "";
let packed: Packed;
/** tsc's output per resolution (empty when clean); started once the install is done. */
let typeChecks: Record<string, Promise<string>> = {};

const RESOLUTIONS: Record<string, Record<string, unknown>> = {
  // node16 also checks every declaration file (ours and the peers') as a strict user's
  // build would; bundler checks resolution only, to keep the time down.
  node16: { module: "node16", moduleResolution: "node16", skipLibCheck: false },
  bundler: { module: "esnext", moduleResolution: "bundler", skipLibCheck: true },
};

/** Type-checks an import of every subpath export in the consumer; resolves to tsc's output. */
function typeCheck(name: string, resolution: Record<string, unknown>): Promise<string> {
  const imports = exportsMap.map(
    ({ specifier }, index) => `import * as m${index} from "${specifier}";`,
  );
  const nonEmpty = exportsMap.map((_, index) => `NonEmpty<typeof m${index}>`);
  writeFileSync(
    join(consumer, `check-${name}.ts`),
    [
      ...imports,
      "// Each resolves to declarations that export something (an unresolved one is an error).",
      "type NonEmpty<T> = [keyof T] extends [never] ? false : true;",
      `export const resolved: [${nonEmpty.join(", ")}] = [${nonEmpty.map(() => "true").join(", ")}];`,
    ].join("\n"),
  );
  const compilerOptions = {
    ...resolution,
    target: "ES2022",
    strict: true,
    noEmit: true,
    types: ["node"],
  };
  writeFileSync(
    join(consumer, `tsconfig.${name}.json`),
    JSON.stringify({ compilerOptions, files: [`check-${name}.ts`] }),
  );
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  return run(process.execPath, [tsc, "-p", `tsconfig.${name}.json`], { cwd: consumer }).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  );
}

function installedVersion(name: string): string {
  return JSON.parse(readFileSync(join(REPO, "node_modules", name, "package.json"), "utf8")).version;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "gofr-auth-pack-"));
  const copy = join(work, "checkout");
  cpSync(REPO, copy, {
    recursive: true,
    filter: (source) => {
      const path = relative(REPO, source);
      return !NOT_SOURCE.has(path.split("/")[0] ?? "") && path !== join("examples", "build");
    },
  });
  // The build in the copy uses this checkout's tools (typescript).
  symlinkSync(join(REPO, "node_modules"), join(copy, "node_modules"), "dir");
  const env = npmEnv();
  const pack = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: copy, env });
  // Script output (if any) comes first; the JSON report is the rest.
  packed = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m)))[0];
  tarball = join(work, packed.filename);

  consumer = join(work, "consumer");
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  const peers = CONSUMER_PACKAGES.map((name) => `${name}@${installedVersion(name)}`);
  // --ignore-scripts: better-sqlite3 is not compiled; nothing here opens a database.
  const flags = ["--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"];
  await run("npm", ["install", ...flags, tarball, ...peers], { cwd: consumer, env });
  // In the background while the quicker tests run; they never reject.
  typeChecks = Object.fromEntries(
    Object.entries(RESOLUTIONS).map(([name, resolution]) => [name, typeCheck(name, resolution)]),
  );
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed package, installed into an empty project", () => {
  it("ships every export and bin target, built by npm pack itself, and nothing but dist/, src/ and the docs", () => {
    const paths = new Set(packed.files.map((file) => file.path));
    const targets = [
      ...exportsMap.flatMap(({ types, js }) => [types, js]),
      ...Object.values(manifest.bin),
    ].map((target) => target.replace(/^\.\//, ""));
    expect(targets.filter((target) => !paths.has(target))).toEqual([]);
    const stray = [...paths].filter(
      (path) => !/^(dist|src)\//.test(path) && !/^(package\.json|README\.md|LICENSE.*)$/.test(path),
    );
    expect(stray).toEqual([]);
    // No test or build-only file sneaks in through src/ or dist/.
    expect([...paths].filter((path) => /\.test\.|tsbuildinfo/.test(path))).toEqual([]);
  });

  it("keeps the CLI executable in the tarball and after install", () => {
    for (const target of Object.values(manifest.bin)) {
      const entry = packed.files.find((file) => file.path === target.replace(/^\.\//, ""));
      expect(entry, target).toBeDefined();
      expect((entry?.mode ?? 0) & 0o111, `${target} mode`).toBe(0o111);
      const installed = statSync(join(consumer, "node_modules", "gofr-auth", target));
      expect(installed.mode & 0o111, `installed ${target}`).toBe(0o111);
    }
  });

  it("runs `npx gofr-auth --help` without compiling better-sqlite3", async () => {
    // Found in node_modules/.bin: npx fetches nothing.
    const { stdout } = await run("npx", ["gofr-auth", "--help"], {
      cwd: consumer,
      env: npmEnv(),
    });
    expect(stdout).toContain("Usage: gofr-auth [options] [command]");
    expect(stdout).toMatch(/^ {2}tokens\s/m);
  });

  it("imports every subpath export at run time, each with named exports", async () => {
    const script = `
      const counts = {};
      for (const specifier of ${JSON.stringify(exportsMap.map(({ specifier }) => specifier))}) {
        counts[specifier] = Object.keys(await import(specifier)).length;
      }
      console.log(JSON.stringify(counts));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: consumer,
    });
    const counts: Record<string, number> = JSON.parse(stdout);
    expect(Object.keys(counts).sort()).toEqual(exportsMap.map(({ specifier }) => specifier).sort());
    expect(Object.entries(counts).filter(([, count]) => count === 0)).toEqual([]);
  });

  it.each(Object.keys(RESOLUTIONS))(
    "type-checks an import of every subpath export under moduleResolution %s",
    async (name) => {
      expect(await typeChecks[name]).toBe("");
    },
    120_000,
  );

  it("passes publint (strict) and Are the Types Wrong? for an ESM-only package", async () => {
    const bin = (name: string) => join(REPO, "node_modules", ".bin", name);
    const [publint, attw] = await Promise.all([
      run(bin("publint"), ["run", tarball, "--strict"]),
      // ESM only by design ("import" conditions, "type": "module"): the esm-only profile
      // leaves out require() from CommonJS and node10 resolution; every other check stays.
      run(bin("attw"), [
        tarball,
        "--profile",
        "esm-only",
        "--no-definitely-typed",
        "--format",
        "json",
      ]),
    ]);
    expect(publint.stdout).toContain("All good!");
    const problems: Record<
      string,
      Array<{ entrypoint: string; resolutionKind?: string }>
    > = JSON.parse(attw.stdout).problems;
    const ignored = new Set(["node10", "node16-cjs"]);
    const counted = Object.entries(problems).flatMap(([kind, found]) =>
      found
        .filter((problem) => !ignored.has(problem.resolutionKind ?? ""))
        .map((problem) => `${kind} ${problem.entrypoint}`),
    );
    expect(counted).toEqual([]);
  }, 60_000);
});
