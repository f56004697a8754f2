#!/usr/bin/env node
/**
 * `node docker/promote-dev-deps.mjs <name>...`: moves the named devDependencies of
 * ./package.json into dependencies, with the same version range. Used only while building
 * the image (docker/Dockerfile): the reference services import fastify and the MCP SDK,
 * which the library itself has only as optional peers (dev dependencies here), so
 * `npm ci --omit=dev` after this installs exactly the production dependencies plus those
 * packages and what they depend on, at the versions package-lock.json pins.
 */
import { readFileSync, writeFileSync } from "node:fs";

const names = process.argv.slice(2);
if (names.length === 0) {
  process.stderr.write("usage: promote-dev-deps.mjs <package>...\n");
  process.exit(2);
}
const manifest = JSON.parse(readFileSync("package.json", "utf8"));
manifest.dependencies ??= {};
for (const name of names) {
  const range = manifest.devDependencies?.[name];
  if (typeof range !== "string") {
    process.stderr.write(`promote-dev-deps: ${name} is not a devDependency of package.json\n`);
    process.exit(1);
  }
  manifest.dependencies[name] = range;
  delete manifest.devDependencies[name];
}
writeFileSync("package.json", `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(`promote-dev-deps: ${names.join(", ")} -> dependencies\n`);
