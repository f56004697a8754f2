import type { Command } from "commander";
import type { StoreAdmin } from "../../config/backends.js";
import type { AuthEnabled } from "../../config/resolve.js";
import { AuthError, isAuthError } from "../../errors.js";
import { issuerSecretName } from "../../secrets/source.js";
import type { TokenRecord } from "../../tokens/record.js";
import type { CliContext } from "../context.js";
import { printable, UsageError } from "../output.js";
import { deletionBound } from "../refusal-bounds.js";
import { TokenStatusJudge } from "../token-status.js";

const CONSEQUENCES = `
What happens to the issuer's tokens: every token signed with its own key stops verifying
once services see the deletion (embedded store: their next request; Vault: within
<PREFIX>_PROPAGATION_SECONDS, default 2 s, or the secret TTL when propagation is off),
whatever its expiry; \`tokens list\` then shows them as superseded. The issuer's new tokens are signed
with the shared secret again, unless <PREFIX>_STRICT_ISSUER_KEYS is on (or
<PREFIX>_ACCEPT_SHARED_KEY=0): then it cannot mint until it gets a secret again
(gofr-auth secrets generate --issuer <name>).
Deleting removes every version (on Vault: vault kv metadata delete); it cannot be undone.
While tokens signed with the key are active the command refuses: revoke them, or --force.`;

/** How many active tokens the refusal names. */
const SHOWN = 5;

export function registerSecretsDelete(secrets: Command, ctx: CliContext): void {
  secrets
    .command("delete")
    .description("delete an issuer's own signing secret (all versions): it falls back to shared")
    .requiredOption("-i, --issuer <name>", "the issuer whose own secret to delete")
    .option("-y, --yes", "confirm: tokens signed with that key stop verifying")
    .option("-f, --force", "delete even while tokens signed with that key are active")
    .addHelpText("after", CONSEQUENCES)
    .action(async (options: { issuer: string; yes?: boolean; force?: boolean }) => {
      if (!options.yes) {
        throw new UsageError(
          `deleting ${options.issuer}'s secret makes every token signed with it stop verifying; run again with --yes to confirm`,
        );
      }
      const plane = await ctx.open();
      const { issuer } = options;
      const name = issuerSecretName(issuer);
      const version = await latestVersion(plane, name);
      if (version === undefined) throw await noOwnSecret(issuer, "delete", plane.admin);
      const active = await activeTokensOf(plane, issuer, ctx.clock());
      if (active.length > 0 && !options.force) {
        throw new AuthError(
          "invalid_input",
          `${active.length} active tokens were signed with ${issuer}'s own key: ${list(active)}; deleting it makes them stop verifying`,
          {
            hint: `revoke them first (gofr-auth tokens revoke <id>), or add --force to delete anyway`,
            details: { issuer, active: active.length },
          },
        );
      }
      await plane.admin.deleteSecret(name);
      ctx.emit(
        `${printable(
          `Deleted ${name} (all versions, latest v${version}). ${issuer} now signs with the shared secret (unless strict issuer keys are on).`,
        )}\n${active.length > 0 ? `${active.length} active tokens signed with its key stop verifying ${deletionBound(plane)}: re-issue them.\n` : ""}`,
        { name, issuer, versions: version, activeTokens: active.map((record) => record.id) },
      );
    });
}

async function latestVersion(plane: AuthEnabled, name: string): Promise<number | undefined> {
  try {
    return (await plane.secretSource.read(name)).version;
  } catch (error) {
    if (isAuthError(error, "secret_unavailable")) return undefined;
    throw error;
  }
}

/** Records signed with `issuer`'s own key that services would still accept. */
async function activeTokensOf(
  plane: AuthEnabled,
  issuer: string,
  nowMs: number,
): Promise<TokenRecord[]> {
  const judge = new TokenStatusJudge(plane, nowMs);
  const own = (await plane.auth.listTokens()).filter((record) => record.keyLabel === issuer);
  const states = await Promise.all(own.map((record) => judge.statusOf(record)));
  return own.filter((_, index) => states[index] === "active");
}

function list(records: readonly TokenRecord[]): string {
  const shown = records.slice(0, SHOWN).map((r) => (r.name ? `${r.name} (${r.id})` : r.id));
  if (records.length > SHOWN) shown.push(`and ${records.length - SHOWN} more`);
  return shown.join(", ");
}

/** The refusal of an issuer without its own secret, naming the ones that have one. */
export async function noOwnSecret(
  issuer: string,
  verb: string,
  admin: StoreAdmin,
): Promise<AuthError> {
  const known = await admin.issuersWithOwnSecret();
  return new AuthError(
    "secret_unavailable",
    `Issuer '${issuer}' has no signing secret of its own to ${verb}`,
    {
      hint: `to give it one: gofr-auth secrets generate --issuer ${issuer}; issuers with their own: ${known.length > 0 ? known.join(", ") : "none"}`,
      details: { issuer },
    },
  );
}
