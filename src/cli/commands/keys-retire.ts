/**
 * `gofr-auth keys retire`: raise the floor of an EdDSA issuer's key, so that tokens signed
 * with the versions below it stop verifying (Vault: `min_decryption_version` and
 * `min_encryption_version`; the embedded store: its floor). The one destructive `keys`
 * command: it asks for --yes and says which tokens stop verifying, and when.
 */
import type { Command } from "commander";
import type { AuthEnabled } from "../../config/resolve.js";
import type { EdDsaKeyListing } from "../../eddsa/sqlite-admin.js";
import { AuthError } from "../../errors.js";
import type { TokenRecord } from "../../tokens/record.js";
import type { CliContext } from "../context.js";
import { printable, shortTime, UsageError } from "../output.js";
import { eddsaChangeBound } from "../refusal-bounds.js";
import { listingOf, versionRange } from "./keys-common.js";

const RETIRE_HELP = `
Versions below N stop verifying: every token signed with them is refused, whatever its
expiry, once services see the change (the command prints when). The latest version signs
new tokens and cannot be retired: rotate first. Retiring only raises the floor (Vault:
min_decryption_version and min_encryption_version, and Vault stops listing the versions
below). Token records do not say which version signed them: the command names the
issuer's active tokens created before version N existed, which were signed with a retired
version (or with HS256, if the issuer minted HS256 then). Re-issue them.
Example: gofr-auth keys retire --issuer deposito --below 3 --yes`;

/** How many tokens the output names. */
const SHOWN = 5;

export function registerKeysRetire(keys: Command, ctx: CliContext): void {
  keys
    .command("retire")
    .description(
      "retire the versions below N of an issuer's key: tokens signed with them stop verifying",
    )
    .requiredOption("-i, --issuer <name>", "the issuer whose old key versions to retire")
    .requiredOption("-b, --below <version>", "the lowest version that keeps verifying")
    .option("-y, --yes", "confirm: tokens signed with the retired versions stop verifying")
    .addHelpText("after", RETIRE_HELP)
    .action(async (options: { issuer: string; below: string; yes?: boolean }) => {
      const { issuer } = options;
      const below = parseVersion(options.below);
      if (!options.yes) {
        throw new UsageError(
          `retiring the versions below v${below} of ${issuer}'s key makes every token signed with them stop verifying; run again with --yes to confirm`,
        );
      }
      const plane = await ctx.open();
      const admin = await plane.admin.eddsaKeys();
      const before = await listingOf(admin, issuer, "retire");
      checkBelow(before, below);
      if (below === before.minVersion) {
        ctx.emit(
          `${printable(`Nothing to retire: ${issuer}'s versions below v${below} are already retired (unchanged).`)}\n`,
          { issuer, key: before.key, minVersion: below, latest: before.latest, changed: false },
        );
        return;
      }
      // The first version that stays: tokens created before it existed used an older one.
      const kept = before.versions.find((version) => version.version === below);
      const stale = kept
        ? await activeCreatedBefore(plane, issuer, kept.createdAt, ctx.clock())
        : [];
      await admin.retire(issuer, below);
      const retired = versionRange(before.minVersion, below - 1);
      const bound = eddsaChangeBound(
        plane,
        `Tokens signed with ${retired} (kid ${kids(issuer, before.minVersion, below - 1)}): refused by every service on this store`,
      );
      const tokens =
        stale.length > 0
          ? `${stale.length} active tokens of ${issuer} were created before v${below} existed (${shortTime(kept?.createdAt)}): ${names(stale)}. Re-issue them.`
          : `No active token of ${issuer} in this store was created before v${below} existed.`;
      ctx.emit(
        `${printable(`Retired ${before.key} ${retired}: ${issuer}'s tokens verify with ${versionRange(below, before.latest)} only.`)}\n${bound.text}\n${printable(tokens)}\n`,
        {
          issuer,
          key: before.key,
          retired: range(before.minVersion, below - 1),
          minVersion: below,
          latest: before.latest,
          changed: true,
          oldTokensRefused: bound,
          activeTokensCreatedBefore: stale.map((record) => record.id),
        },
      );
    });
}

/** `--below`: a whole number >= 1, else a usage error (nothing is opened). */
function parseVersion(text: string): number {
  const version = /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new UsageError(
      `--below must be a key version, a whole number >= 1 (the lowest version that keeps verifying), got '${text.slice(0, 20)}'`,
    );
  }
  return version;
}

/** Refuses a floor that would retire the signing version or bring retired ones back. */
function checkBelow(listing: EdDsaKeyListing, below: number): void {
  const { issuer, minVersion: floor, latest } = listing;
  if (below > latest) {
    throw new AuthError(
      "invalid_input",
      `--below ${below} would retire v${latest}, the version ${issuer} signs with: give ${floor === latest ? `${latest}` : `${floor}..${latest}`} (${issuer}'s key has ${versionRange(floor, latest)})`,
      {
        hint: `to retire v${latest} too, first add a version: gofr-auth keys rotate --issuer ${issuer}`,
        details: { issuer, below, min_version: floor, latest },
      },
    );
  }
  if (below < floor) {
    throw new AuthError(
      "invalid_input",
      `--below ${below} is under ${issuer}'s floor: the versions below v${floor} are already retired, and retire never brings them back`,
      {
        hint: `give a version from ${floor} to ${latest}; see gofr-auth keys list --issuer ${issuer}`,
        details: { issuer, below, min_version: floor, latest },
      },
    );
  }
}

/** The issuer's active records created before `before` (signed with an older version). */
async function activeCreatedBefore(
  plane: AuthEnabled,
  issuer: string,
  before: Date,
  nowMs: number,
): Promise<TokenRecord[]> {
  return (await plane.auth.listTokens()).filter(
    (record) =>
      record.keyLabel === issuer &&
      record.status === "active" &&
      (record.expiresAt === null || record.expiresAt.getTime() > nowMs) &&
      record.createdAt.getTime() < before.getTime(),
  );
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** `deposito.v1, deposito.v2` (the first few, then how many more). */
function kids(issuer: string, from: number, to: number): string {
  const all = range(from, to).map((version) => `${issuer}.v${version}`);
  const shown = all.slice(0, SHOWN);
  if (all.length > SHOWN) shown.push(`and ${all.length - SHOWN} more`);
  return shown.join(", ");
}

function names(records: readonly TokenRecord[]): string {
  const shown = records.slice(0, SHOWN).map((r) => (r.name ? `${r.name} (${r.id})` : r.id));
  if (records.length > SHOWN) shown.push(`and ${records.length - SHOWN} more`);
  return shown.join(", ");
}
