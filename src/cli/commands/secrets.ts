import type { Command } from "commander";
import { AuthError, isAuthError } from "../../errors.js";
import { fingerprint } from "../../secrets/fingerprint.js";
import {
  createSecretIfAbsent,
  issuerSecretName,
  SHARED_SECRET_NAME,
} from "../../secrets/source.js";
import type { CliContext } from "../context.js";
import { age, printable, shortTime, table, UsageError } from "../output.js";
import { rotationBound } from "../refusal-bounds.js";
import { generateSecret } from "./init.js";
import { registerSecretsDelete } from "./secrets-delete.js";
import { registerSecretsLeaked, rotateSecret } from "./secrets-leaked.js";

const ROTATE_HELP = `
New tokens verify everywhere at once (a service meeting a newer version reads it). Tokens
signed with the old version stop being accepted:
  rotation grace 0 (<PREFIX>_ROTATION_GRACE, the default): within the propagation bound.
    Embedded store: from each service's next request. Vault: within
    <PREFIX>_PROPAGATION_SECONDS (default 2 s) plus one store read; with propagation off
    (0), within the secret TTL <PREFIX>_JWT_SECRET_TTL (default 300 s).
  rotation grace G: after G seconds (or the bound above, if longer).
The command prints that bound, computed from this environment's settings (each service
follows its own). \`tokens list\` then shows the old tokens superseded: mint new ones.
Only existing secrets are rotated: give an issuer its first one with secrets generate.
After a leak, use gofr-auth secrets leaked instead: it also revokes the old tokens.
See docs/operations.md.`;

export function registerSecrets(program: Command, ctx: CliContext): void {
  const secrets = program
    .command("secrets")
    .description("signing secret status and rotation (values are never printed)")
    .addHelpText(
      "after",
      "\nThese are HS256 secrets. EdDSA issuers' key pairs are managed with gofr-auth keys.",
    );

  secrets
    .command("status")
    .description("version, fingerprint and age of the shared secret and every issuer's own")
    .option(
      "-i, --issuer <names>",
      "also show these issuers (comma-separated), with or without their own secret",
    )
    .action(async (options: { issuer?: string }) => {
      const { secretSource, admin } = await ctx.open();
      const asked = (options.issuer ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      // Every issuer secret in the store, then those asked about that have none.
      const found = await admin.issuersWithOwnSecret();
      const issuers = [...new Set([...found, ...asked])];
      const rows: Array<Record<string, unknown>> = [];
      for (const [owner, name] of [
        ["shared", SHARED_SECRET_NAME] as const,
        ...issuers.map((issuer) => [issuer, issuerSecretName(issuer)] as const),
      ]) {
        try {
          const secret = await secretSource.read(name);
          rows.push({
            issuer: owner,
            source: owner === "shared" ? "shared" : "own",
            name,
            version: secret.version,
            fingerprint: fingerprint(secret.value),
            createdAt: secret.createdAt.toISOString(),
          });
        } catch (error) {
          if (!isAuthError(error, "secret_unavailable")) throw error;
          rows.push({
            issuer: owner,
            source: owner === "shared" ? "missing" : "fallback to shared",
            name,
            version: null,
            fingerprint: null,
            createdAt: null,
          });
        }
      }
      const now = ctx.clock();
      ctx.emit(
        table(
          ["ISSUER", "KEY", "VERSION", "FINGERPRINT", "CREATED", "AGE"],
          rows.map((row) => {
            const created = row.createdAt ? new Date(row.createdAt as string) : null;
            return [
              String(row.issuer),
              String(row.source),
              row.version === null ? "-" : `v${row.version}`,
              String(row.fingerprint ?? "-"),
              shortTime(created),
              created ? age(created, now) : "-",
            ];
          }),
        ),
        rows,
      );
    });

  secrets
    .command("generate")
    .description("give an issuer its own signing secret (256 random bits); its new tokens use it")
    .requiredOption("-i, --issuer <name>", "the issuing service or agent, e.g. deposito")
    .addHelpText(
      "after",
      "\nUntil an issuer has its own secret it signs with the shared one. Migrate one issuer at a\ntime; roll back with gofr-auth secrets delete --issuer <name> --yes (it falls back\nto the shared one). See docs/operations.md.",
    )
    .action(async (options: { issuer: string }) => {
      const { secretSource } = await ctx.open();
      const name = issuerSecretName(options.issuer);
      const value = generateSecret();
      const written = await createSecretIfAbsent(secretSource, name, value);
      if (!written) {
        throw new AuthError(
          "invalid_input",
          `Issuer '${options.issuer}' already has its own secret`,
          {
            hint: `to replace it: gofr-auth secrets rotate --issuer ${options.issuer} --yes`,
          },
        );
      }
      const print = fingerprint(value);
      ctx.emit(`Created ${printable(name)} v${written.version} ${print}\n`, {
        name,
        version: written.version,
        fingerprint: print,
      });
    });

  secrets
    .command("rotate")
    .description("write a new random version of a signing secret")
    .option("-i, --issuer <name>", "rotate this issuer's own secret instead of the shared one")
    .option(
      "-y, --yes",
      "confirm: tokens signed with the old version stop verifying (after the grace, if any)",
    )
    .addHelpText("after", ROTATE_HELP)
    .action(async (options: { issuer?: string; yes?: boolean }) => {
      if (!options.yes) {
        throw new UsageError(
          "rotation invalidates tokens signed with the current version; run again with --yes to confirm",
        );
      }
      const plane = await ctx.open();
      const rotation = await rotateSecret(plane, options.issuer);
      const bound = rotationBound(plane);
      ctx.emit(
        `Rotated ${printable(rotation.name)}: ${rotation.oldFingerprint} -> ${rotation.newFingerprint} (v${rotation.version})\n${bound.text}\n`,
        { ...rotation, oldTokensRefused: bound },
      );
    });

  registerSecretsLeaked(secrets, ctx);
  registerSecretsDelete(secrets, ctx);
}
