/**
 * `gofr-auth keys`: EdDSA (Ed25519) issuers' key pairs, on Vault Transit or the embedded
 * store (issue 18). A group of its own rather than `secrets eddsa ...`: `secrets` manages
 * HS256 shared secrets in KV (generate, rotate with a grace, leaked, delete), while these
 * are key pairs whose private half never leaves the store (Vault's `transit/keys/jwt-<issuer>`),
 * with their own life cycle: rotating invalidates nothing, retiring old versions does.
 */
import type { Command } from "commander";
import type { AuthEnabled } from "../../config/resolve.js";
import { transitKeyName } from "../../defaults.js";
import type { EdDsaKeyAdmin } from "../../eddsa/key-admin.js";
import type { EdDsaKeyListing, EdDsaKeyVersion } from "../../eddsa/sqlite-admin.js";
import { AuthError, isAuthError } from "../../errors.js";
import type { CliContext } from "../context.js";
import { age, printable, shortTime, table } from "../output.js";
import { eddsaChangeBound } from "../refusal-bounds.js";
import { listingOf, versionRange } from "./keys-common.js";
import { registerKeysRetire } from "./keys-retire.js";

/** `--help` of the group: what EdDSA issuers are and what else they need. */
export const KEYS_HELP = `
EdDSA issuers sign their tokens with an Ed25519 private key that never leaves the store
(Vault: Transit key transit/keys/jwt-<issuer>; embedded store: its eddsa_keys table).
Services verify with the public key, so a service that verifies an issuer's tokens cannot
mint them (with HS256 whoever verifies can also sign). HS256 stays the default: an issuer's
tokens are EdDSA only where <PREFIX>_ISSUER_ALGORITHMS lists it, on every service that
verifies them and on the one that mints (the first algorithm is what it mints):
  1. gofr-auth keys create --issuer deposito
  2. verifiers:  <PREFIX>_ISSUER_ALGORITHMS=deposito=HS256,EdDSA   accept EdDSA, mint HS256
  3. the minter: <PREFIX>_ISSUER_ALGORITHMS=deposito=EdDSA,HS256   mint EdDSA, accept both
     (roll back: swap the order again)
  4. everywhere, once its HS256 tokens have expired: deposito=EdDSA
Several issuers: deposito=EdDSA,HS256;agent-x=EdDSA. This CLI mints (tokens create
--issuer) and judges (tokens inspect) by the same variable in its own environment.
Vault policy lines (gofr-auth policy --issuer <name> [--mints-eddsa] prints a service's):
  every service      path "transit/keys/jwt-*"         read    public keys only
  the minter         path "transit/sign/jwt-<issuer>"  update  signs; the key stays in Vault
  this CLI           path "transit/keys/jwt-*"         read, update (create, rotate, retire)
                     path "transit/keys"               list    (keys list without --issuer)
The Transit mount is <PREFIX>_TRANSIT_MOUNT (default transit: vault secrets enable transit).
Every change reaches running services as a secret rotation does (embedded store: their
next request; Vault: the change marker, <PREFIX>_PROPAGATION_SECONDS). Private keys are
never printed. See docs/operations.md.`;

const ROTATE_HELP = `
Rotating invalidates nothing: tokens signed with older versions keep verifying until they
expire or until those versions are retired (gofr-auth keys retire). Minting services sign
with the new version once they see it (the bound is printed).`;

export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program
    .command("keys")
    .description("EdDSA (Ed25519) issuer keys: create, rotate, retire, list (never private keys)")
    .addHelpText("after", KEYS_HELP);

  keys
    .command("create")
    .description("give an issuer an Ed25519 key pair (version 1) for EdDSA tokens")
    .requiredOption("-i, --issuer <name>", "the issuing service or agent, e.g. deposito")
    .addHelpText(
      "after",
      "\nThe key is not used until <PREFIX>_ISSUER_ALGORITHMS lists EdDSA for the issuer\n(see gofr-auth keys --help).",
    )
    .action(async (options: { issuer: string }) => {
      const plane = await ctx.open();
      const admin = await plane.admin.eddsaKeys();
      const { issuer } = options;
      let created: EdDsaKeyVersion;
      try {
        created = await admin.create(issuer);
      } catch (error) {
        if (isAuthError(error, "vault_not_found")) throw noTransitMount(plane, error);
        if (!isAuthError(error, "invalid_input") || error.details.issuer !== issuer) throw error;
        throw new AuthError("invalid_input", `Issuer '${issuer}' already has an EdDSA key`, {
          hint: `add a version: gofr-auth keys rotate --issuer ${issuer}; see them: gofr-auth keys list --issuer ${issuer}`,
          details: { issuer },
          cause: error,
        });
      }
      const key = transitKeyName(issuer);
      ctx.emit(
        `${printable(`Created EdDSA key ${key} v${created.version} ${created.fingerprint} in ${admin.description}.`)}\n${usage(plane, issuer)}\n`,
        { issuer, key, store: admin.description, ...versionJson(created, "signs") },
      );
    });

  keys
    .command("rotate")
    .description(
      "add a new version of an issuer's key; it signs from now on, older ones still verify",
    )
    .requiredOption("-i, --issuer <name>", "the issuer whose key to rotate")
    .addHelpText("after", ROTATE_HELP)
    .action(async (options: { issuer: string }) => {
      const plane = await ctx.open();
      const admin = await plane.admin.eddsaKeys();
      const { issuer } = options;
      const before = await listingOf(admin, issuer, "rotate");
      const rotated = await admin.rotate(issuer);
      const bound = eddsaChangeBound(plane, `Every minting service signs with v${rotated.version}`);
      const verifying = versionRange(before.minVersion, before.latest);
      ctx.emit(
        `${printable(`Rotated ${before.key}: v${before.latest} -> v${rotated.version} ${rotated.fingerprint}.`)}\n${bound.text}\nTokens signed with ${verifying} keep verifying until they expire or you retire them (gofr-auth keys retire --issuer ${printable(issuer)} --below ${rotated.version} --yes).\n`,
        {
          issuer,
          key: before.key,
          previousVersion: before.latest,
          ...versionJson(rotated, "signs"),
          newVersionSigns: bound,
        },
      );
    });

  registerKeysRetire(keys, ctx);

  keys
    .command("list")
    .description("versions, creation time, public key fingerprint and retired floor of EdDSA keys")
    .option(
      "-i, --issuer <names>",
      "only these issuers (comma-separated); default: every key, and every EdDSA issuer configured here",
    )
    .action(async (options: { issuer?: string }) => {
      const plane = await ctx.open();
      const admin = await plane.admin.eddsaKeys();
      const asked = (options.issuer ?? "")
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean);
      // Asked for by name: each must have a key. Otherwise every key, plus the EdDSA issuers
      // this environment configures (a configured issuer without a key cannot verify).
      const issuers =
        asked.length > 0
          ? [...new Set(asked)]
          : [...new Set([...(await admin.issuers()), ...plane.eddsaIssuers])].sort();
      const listings = await Promise.all(
        issuers.map((issuer) =>
          asked.length > 0
            ? listingOf(admin, issuer)
            : admin.list(issuer).catch((error: unknown) => {
                if (isAuthError(error, "secret_unavailable")) return undefined;
                throw error;
              }),
        ),
      );
      const shown = issuers.map((issuer, index) => ({ issuer, listing: listings[index] }));
      ctx.emit(listText(plane, admin, shown, ctx.clock()), {
        store: admin.description,
        issuers: shown.map(({ issuer, listing }) => listingJson(plane, issuer, listing)),
      });
    });
}

/** A 404 creating a key: nothing is mounted at `<P>_TRANSIT_MOUNT` (Vault's "unsupported path"). */
function noTransitMount(plane: AuthEnabled, cause: AuthError): AuthError {
  const mount = plane.settings.transitMount;
  return new AuthError("vault_not_found", `No Transit engine at '${mount}/' in Vault`, {
    hint: `enable it: vault secrets enable -path=${mount} transit (docker/vault-init.sh does for transit/), or set ${plane.settings.prefix}_TRANSIT_MOUNT to its path`,
    details: { mount },
    cause,
  });
}

type VersionStatus = "signs" | "verifies" | "retired";

function statusOf(listing: EdDsaKeyListing, version: EdDsaKeyVersion): VersionStatus {
  if (version.retired || version.version < listing.minVersion) return "retired";
  return version.version === listing.latest ? "signs" : "verifies";
}

function versionJson(version: EdDsaKeyVersion, status: VersionStatus) {
  return {
    version: version.version,
    createdAt: version.createdAt.toISOString(),
    fingerprint: version.fingerprint,
    status,
  };
}

/** This environment's algorithm list for the issuer, or null when it names none. */
function algorithmsOf(plane: AuthEnabled, issuer: string): string[] | null {
  return plane.settings.issuerAlgorithms?.[issuer] ?? null;
}

function listingJson(plane: AuthEnabled, issuer: string, listing: EdDsaKeyListing | undefined) {
  return {
    issuer,
    key: transitKeyName(issuer),
    algorithms: algorithmsOf(plane, issuer),
    latest: listing?.latest ?? null,
    minVersion: listing?.minVersion ?? null,
    versions: listing?.versions.map((v) => versionJson(v, statusOf(listing, v))) ?? [],
  };
}

function listText(
  plane: AuthEnabled,
  admin: EdDsaKeyAdmin,
  shown: ReadonlyArray<{ issuer: string; listing: EdDsaKeyListing | undefined }>,
  nowMs: number,
): string {
  if (shown.length === 0) {
    return `No EdDSA keys in ${admin.description}.\nCreate one: gofr-auth keys create --issuer <name> (see gofr-auth keys --help).\n`;
  }
  const rows = shown.flatMap(({ issuer, listing }) =>
    listing
      ? listing.versions.map((v) => [
          issuer,
          `v${v.version}`,
          statusOf(listing, v),
          v.fingerprint,
          shortTime(v.createdAt),
          age(v.createdAt, nowMs),
        ])
      : [[issuer, "-", "no key", "-", "-", "-"]],
  );
  const lines = [`Keys jwt-<issuer> in ${printable(admin.description)}.`];
  for (const { issuer, listing } of shown) lines.push(printable(summary(plane, issuer, listing)));
  return `${table(["ISSUER", "VERSION", "STATUS", "FINGERPRINT", "CREATED", "AGE"], rows)}${lines.join("\n")}\n`;
}

/** One line per issuer: the floor, and how this environment's algorithm list uses the key. */
function summary(plane: AuthEnabled, issuer: string, listing: EdDsaKeyListing | undefined): string {
  const variable = `${plane.settings.prefix}_ISSUER_ALGORITHMS`;
  const algorithms = algorithmsOf(plane, issuer);
  const configured = algorithms
    ? `${variable} here: ${algorithms.join(",")}${algorithms[0] === "EdDSA" ? " (mints EdDSA)" : ""}`
    : `not in ${variable} here`;
  if (!listing) {
    return `${issuer}: no key, but ${configured}: its EdDSA tokens cannot verify (gofr-auth keys create --issuer ${issuer})`;
  }
  const floor =
    listing.minVersion > 1 ? `versions below v${listing.minVersion} retired` : "no version retired";
  return `${issuer}: signs with v${listing.latest}, ${floor}; ${configured}`;
}

/** After `create`: what else must happen before the key is used. */
function usage(plane: AuthEnabled, issuer: string): string {
  const variable = `${plane.settings.prefix}_ISSUER_ALGORITHMS`;
  const algorithms = algorithmsOf(plane, issuer);
  const here = algorithms?.includes("EdDSA")
    ? `${variable} here lists ${algorithms.join(",")} for it.`
    : `It is not used until ${variable} lists EdDSA for ${issuer}.`;
  return printable(
    `${here} Next: ${issuer}=HS256,EdDSA on every service that verifies its tokens, then ${issuer}=EdDSA,HS256 on the one that mints (gofr-auth keys --help).`,
  );
}
