/**
 * `secrets leaked`: the compromise runbook in one command. It rotates the leaked signing
 * secret, then revokes every still-active token record minted with that key up to the
 * moment after the rotation, so that no record signed with the leaked key can be replayed
 * by a forged token (token ids are not secret). Also the rotation itself, which `secrets
 * rotate` shares.
 */
import type { Command } from "commander";
import type { AuthEnabled } from "../../config/resolve.js";
import { AuthError, isAuthError } from "../../errors.js";
import { fingerprint } from "../../secrets/fingerprint.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../secrets/source.js";
import { SHARED_KEY_LABEL } from "../../tokens/claims.js";
import type { TokenRecord } from "../../tokens/record.js";
import type { CliContext } from "../context.js";
import { printable, shortTime, table, UsageError } from "../output.js";
import { revocationBound, rotationBound } from "../refusal-bounds.js";
import { generateSecret } from "./init.js";
import { noOwnSecret } from "./secrets-delete.js";

/** One rotation, fingerprints only. */
export interface Rotation {
  name: string;
  version: number;
  oldFingerprint: string;
  newFingerprint: string;
}

/** The secret's store path: the shared one, or `issuer`'s own. */
function secretNameOf(issuer: string | undefined): string {
  return issuer ? issuerSecretName(issuer) : SHARED_SECRET_NAME;
}

/** Version and fingerprint of the current secret; a missing one is refused, never created. */
async function currentSecret(
  plane: AuthEnabled,
  issuer: string | undefined,
  verb: string,
): Promise<{ name: string; version: number; fingerprint: string }> {
  const name = secretNameOf(issuer);
  try {
    const secret = await plane.secretSource.read(name);
    return { name, version: secret.version, fingerprint: fingerprint(secret.value) };
  } catch (error) {
    if (!isAuthError(error, "secret_unavailable")) throw error;
    // A mistyped issuer must not get a secret of its own.
    if (issuer) throw await noOwnSecret(issuer, verb, plane.admin);
    throw new AuthError("secret_unavailable", `No shared signing secret at ${name} to ${verb}`, {
      hint: "run `gofr-auth init` first",
    });
  }
}

/** Writes a new random version of an existing secret (the shared one, or `issuer`'s own). */
export async function rotateSecret(
  plane: AuthEnabled,
  issuer: string | undefined,
): Promise<Rotation> {
  const { name, fingerprint: previous } = await currentSecret(plane, issuer, "rotate");
  const written = await plane.secretSource.write(name, generateSecret());
  const next = fingerprint((await plane.secretSource.read(name, written.version)).value);
  return { name, version: written.version, oldFingerprint: previous, newFingerprint: next };
}

const LEAKED_HELP = `
What it does, in this order:
  1. rotates the secret (the shared one, or the issuer's own with --issuer): services
     refuse tokens signed with the leaked version within the propagation bound (embedded
     store: their next request; Vault: <PREFIX>_PROPAGATION_SECONDS, default 2 s), or after
     <PREFIX>_ROTATION_GRACE if that is longer;
  2. revokes every active token record signed with that key (records without a key label,
     such as the Python fleet's, count as the shared key) created up to the moment after
     the rotation. A failed revocation is reported and the others go on (exit 1).
What it cannot do: tokens an attacker forged with the leaked key have no record, so
store-checked services refuse them, but stateless verifiers accept them until they load
the new key. Re-issue the legitimate tokens afterwards (tokens create; names of revoked
tokens stay taken). Run with --dry-run first: it lists what would be revoked.
See docs/operations.md, "Secret leaked: the compromise runbook".`;

type Result = "revoked" | "already_revoked" | "failed";

interface Outcome {
  record: TokenRecord;
  result: Result;
  error?: { code: string; message: string };
}

export function registerSecretsLeaked(secrets: Command, ctx: CliContext): void {
  secrets
    .command("leaked")
    .description("a signing secret leaked: rotate it and revoke every token signed with it")
    .option("-i, --issuer <name>", "the issuer whose own secret leaked (default: the shared one)")
    .option("--dry-run", "list the tokens that would be revoked; change nothing")
    .option("-y, --yes", "confirm: rotate now and revoke those tokens")
    .addHelpText("after", LEAKED_HELP)
    .action(async (options: { issuer?: string; dryRun?: boolean; yes?: boolean }) => {
      if (!options.yes && !options.dryRun) {
        throw new UsageError(
          "this rotates the secret and revokes every token signed with it; run with --dry-run to see which, then with --yes to confirm",
        );
      }
      const plane = await ctx.open();
      if (options.dryRun) await dryRun(ctx, plane, options.issuer);
      else await rotateAndRevoke(ctx, plane, options.issuer);
    });
}

async function dryRun(ctx: CliContext, plane: AuthEnabled, issuer: string | undefined) {
  const secret = await currentSecret(plane, issuer, "rotate");
  const cutoff = ctx.clock();
  const targets = await signedWith(plane, issuer ?? SHARED_KEY_LABEL, cutoff);
  ctx.emit(
    `Dry run: nothing changed. Would rotate ${printable(secret.name)} v${secret.version} ${secret.fingerprint}\n` +
      `and revoke ${targets.length} active tokens signed with its key:\n` +
      table(HEADERS, targets.map(rowOf)),
    {
      dryRun: true,
      secret,
      keyLabel: issuer ?? SHARED_KEY_LABEL,
      cutoff: new Date(cutoff).toISOString(),
      tokens: targets.map(jsonOf),
    },
  );
}

async function rotateAndRevoke(ctx: CliContext, plane: AuthEnabled, issuer: string | undefined) {
  // Rotate, then list: a token a service mints with the old key between the two is created
  // before the cutoff and caught. One minted with the new key in that instant is revoked
  // too (records do not name the key version): the safe side.
  const rotation = await rotateSecret(plane, issuer);
  const cutoff = ctx.clock();
  const targets = await signedWith(plane, issuer ?? SHARED_KEY_LABEL, cutoff);
  const outcomes: Outcome[] = [];
  for (const record of targets) outcomes.push(await revoke(ctx, plane, record));
  const count = (result: Result) => outcomes.filter((o) => o.result === result).length;
  const counts = {
    revoked: count("revoked"),
    alreadyRevoked: count("already_revoked"),
    failed: count("failed"),
  };
  const old = rotationBound(plane);
  const revocation = revocationBound(plane);
  ctx.emit(
    `Rotated ${printable(rotation.name)}: ${rotation.oldFingerprint} -> ${rotation.newFingerprint} (v${rotation.version})\n` +
      `${old.text}\n` +
      `Tokens signed with the old key, created up to ${new Date(cutoff).toISOString()}:\n` +
      table(
        [...HEADERS, "RESULT"],
        outcomes.map((o) => [...rowOf(o.record), o.result.replace("_", " ")]),
      ) +
      `Revoked ${counts.revoked}, already revoked ${counts.alreadyRevoked}, failed ${counts.failed}.\n` +
      `${revocation.text}\n` +
      (counts.failed > 0
        ? "Revoke the failed ones with gofr-auth tokens revoke <id> once the store answers.\n"
        : "") +
      "Re-issue the legitimate tokens with gofr-auth tokens create (revoked names stay taken).\n",
    {
      dryRun: false,
      rotation,
      oldTokensRefused: old,
      revokedTokensRefused: revocation,
      keyLabel: issuer ?? SHARED_KEY_LABEL,
      cutoff: new Date(cutoff).toISOString(),
      counts,
      tokens: outcomes.map((o) => ({ ...jsonOf(o.record), result: o.result, error: o.error })),
    },
  );
  if (counts.failed > 0) ctx.exitCode = 1;
}

/**
 * Active records (clock tolerance included: services accept a token until `exp` + 30 s)
 * signed with the key `label`, created at or before `cutoffMs`.
 */
async function signedWith(
  plane: AuthEnabled,
  label: string,
  cutoffMs: number,
): Promise<TokenRecord[]> {
  const toleranceMs = plane.auth.tokens.clockToleranceSeconds * 1000;
  return (await plane.auth.listTokens()).filter(
    (record) =>
      (record.keyLabel ?? SHARED_KEY_LABEL) === label &&
      record.status === "active" &&
      (record.expiresAt === null || record.expiresAt.getTime() + toleranceMs > cutoffMs) &&
      record.createdAt.getTime() <= cutoffMs,
  );
}

/** One revocation; a failure is reported on stderr at once and does not stop the others. */
async function revoke(ctx: CliContext, plane: AuthEnabled, record: TokenRecord): Promise<Outcome> {
  try {
    const { changed } = await plane.auth.revokeToken(record.id);
    return { record, result: changed ? "revoked" : "already_revoked" };
  } catch (error) {
    const code = isAuthError(error) ? error.code : "internal";
    const message = isAuthError(error)
      ? error.message.replace(` (hint: ${error.hint})`, "")
      : error instanceof Error
        ? error.message
        : String(error);
    ctx.io.stderr(
      `error: token ${printable(record.id)} not revoked: ${printable(message)} [${code}]\n`,
    );
    return { record, result: "failed", error: { code, message } };
  }
}

const HEADERS = ["ID", "NAME", "ISSUER", "CREATED", "EXPIRES"] as const;

function rowOf(record: TokenRecord): string[] {
  return [
    record.id,
    record.name ?? "-",
    record.issuer ?? "-",
    shortTime(record.createdAt),
    record.expiresAt ? shortTime(record.expiresAt) : "never",
  ];
}

function jsonOf(record: TokenRecord) {
  return {
    id: record.id,
    name: record.name,
    issuer: record.issuer ?? null,
    keyLabel: record.keyLabel ?? SHARED_KEY_LABEL,
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt?.toISOString() ?? null,
  };
}
