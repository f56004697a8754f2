import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import { type Clock, systemClock } from "../../clock.js";
import type { AuthEnabled } from "../../config/resolve.js";
import { AuthError, isAuthError } from "../../errors.js";
import { RESERVED_GROUPS } from "../../groups/group.js";
import type { SigningKey } from "../../secrets/signing-key.js";
import { createSecretIfAbsent } from "../../secrets/source.js";
import type { TokenRecord } from "../../tokens/record.js";
import type { CliContext } from "../context.js";
import { parseDuration, printable, shortTime } from "../output.js";
import { deliverOrRevoke, TokenFile } from "../token-file.js";
import { type TokenState, TokenStatusJudge } from "../token-status.js";

export const INIT_ADMIN_TOKEN_NAME = "init-admin";
/** How many replacement admin tokens (`init-admin-2`, ...) init looks through. */
const MAX_INIT_ADMIN_TOKENS = 1000;

export interface InitResult {
  secret: { created: boolean; name: string; version: number; fingerprint: string };
  groups: { created: string[] };
  adminToken: {
    created: boolean;
    id: string;
    name: string;
    expiresAt: string | null;
    token?: string;
    /** The admin token this one replaces, no longer usable (revoked, expired, superseded). */
    replaced?: { id: string; name: string; status: TokenState };
  };
}

/** Where a newly minted admin token goes instead of the result (e.g. an output file). */
export interface TokenDelivery {
  deliver(token: string): Promise<void>;
  /** Nothing was minted: undo the preparation. */
  cancel(): Promise<void>;
}

export interface InitOptions {
  adminExpiresInSeconds: number;
  clock?: Clock;
  /**
   * Prepares the delivery of a new admin token; called only when one will be minted, and
   * before minting, so that a bad target fails while no token exists. A failed delivery
   * revokes the token.
   */
  prepareDelivery?: () => Promise<TokenDelivery>;
}

/** 256 random bits, base64 (as `openssl rand -base64 32`). */
export function generateSecret(): string {
  return randomBytes(32).toString("base64");
}

/**
 * Bootstraps a store: signing secret if absent, reserved groups, one usable admin token.
 * Never overwrites anything, so running it twice changes nothing. When the admin token is
 * no longer usable (revoked, expired, or signed with a superseded key) it mints a new one,
 * named `init-admin-2`, `init-admin-3`, ... (names are never reused).
 */
export async function initialize(plane: AuthEnabled, options: InitOptions): Promise<InitResult> {
  const { auth, secretProvider, secretSource } = plane;
  let created = false;
  let key: SigningKey;
  try {
    key = await secretProvider.getKey();
  } catch (error) {
    if (!isAuthError(error, "secret_unavailable")) throw error;
    const value = generateSecret();
    created = (await createSecretIfAbsent(secretSource, secretProvider.name, value)) !== undefined;
    secretProvider.invalidate();
    key = await secretProvider.getKey();
  }

  const before = new Set((await plane.store.listGroups()).map((group) => group.name));
  await auth.groups.ensureReservedGroups();
  const createdGroups = Object.keys(RESERVED_GROUPS).filter((name) => !before.has(name));

  return {
    secret: { created, name: key.name, version: key.version, fingerprint: key.fingerprint },
    groups: { created: createdGroups },
    adminToken: await ensureAdminToken(plane, options),
  };
}

async function ensureAdminToken(
  plane: AuthEnabled,
  options: InitOptions,
): Promise<InitResult["adminToken"]> {
  const { auth } = plane;
  const { latest, freeName } = await initAdminTokens(plane);
  const judge = new TokenStatusJudge(plane, (options.clock ?? systemClock)());
  const status = latest && (await judge.statusOf(latest));
  if (latest && status === "active") {
    const expiresAt = latest.expiresAt?.toISOString() ?? null;
    return { created: false, id: latest.id, name: latest.name ?? "", expiresAt };
  }
  const delivery = await options.prepareDelivery?.();
  let minted: Awaited<ReturnType<typeof auth.createToken>>;
  try {
    minted = await auth.createToken({
      groups: ["admin"],
      name: freeName,
      expiresInSeconds: options.adminExpiresInSeconds,
    });
  } catch (error) {
    await delivery?.cancel();
    throw error;
  }
  const { record, token } = minted;
  if (delivery) await deliverOrRevoke(auth, record.id, () => delivery.deliver(token));
  return {
    created: true,
    id: record.id,
    name: freeName,
    expiresAt: record.expiresAt?.toISOString() ?? null,
    ...(delivery ? {} : { token }),
    ...(latest && status ? { replaced: { id: latest.id, name: latest.name ?? "", status } } : {}),
  };
}

/** The newest of `init-admin`, `init-admin-2`, ... and the first name not taken. */
async function initAdminTokens(
  plane: AuthEnabled,
): Promise<{ latest: TokenRecord | undefined; freeName: string }> {
  let latest: TokenRecord | undefined;
  for (let n = 1; n <= MAX_INIT_ADMIN_TOKENS; n += 1) {
    const name = n === 1 ? INIT_ADMIN_TOKEN_NAME : `${INIT_ADMIN_TOKEN_NAME}-${n}`;
    const record = await plane.auth.getTokenByName(name);
    if (!record) return { latest, freeName: name };
    latest = record;
  }
  throw new AuthError("invalid_input", `More than ${MAX_INIT_ADMIN_TOKENS} init admin tokens`, {
    hint: "create admin tokens with `gofr-auth tokens create --groups admin --name <name>`",
  });
}

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command("init")
    .description("bootstrap the store: signing secret (if absent), reserved groups, an admin token")
    .option("--admin-expires <duration>", "lifetime of the admin token", "30d")
    .option(
      "-o, --output <file>",
      "write a newly created admin token to this file (mode 0600, must not exist) instead of stdout",
    )
    .addHelpText(
      "after",
      `
The only command that creates a store: every other command refuses a missing one.
Safe to run again: an existing secret is never overwritten and the admin token is printed
only when it is created. When the admin token is no longer usable (revoked, expired, or
signed with a rotated-away key), init creates a new one, init-admin-2, init-admin-3, ...
So to replace it: gofr-auth tokens revoke --name <its name>, then gofr-auth init.
With --output the file is created before the token is minted: if it cannot be, nothing is
minted; if writing it fails afterwards, the new token is revoked.`,
    )
    .action(async (options: { adminExpires: string; output?: string }) => {
      const adminExpiresInSeconds = parseDuration(options.adminExpires);
      const output = options.output;
      const plane = await ctx.open({ create: true });
      ctx.storeNamed = true;
      const result = await initialize(plane, {
        adminExpiresInSeconds,
        clock: ctx.clock,
        prepareDelivery: output ? () => fileDelivery(output) : undefined,
      });
      const { secret, groups, adminToken } = result;
      const lines = [
        `Store:          ${plane.backend} ${printable(plane.location)}`,
        `Signing secret: ${secret.name} v${secret.version} ${secret.fingerprint} (${secret.created ? "created" : "present, unchanged"})`,
        `Groups:         ${groups.created.length > 0 ? `created ${groups.created.join(", ")}` : "public and admin present, unchanged"}`,
        adminTokenLine(adminToken, output),
      ];
      if (!secret.created && groups.created.length === 0 && !adminToken.created) {
        lines.push("Nothing to do: the store was already initialised.");
      }
      ctx.emit(`${lines.join("\n")}\n`, {
        ...result,
        adminToken: output && adminToken.created ? { ...adminToken, output } : adminToken,
      });
    });
}

/** The output file, created before the token is minted. */
async function fileDelivery(path: string): Promise<TokenDelivery> {
  const file = await TokenFile.reserve(path);
  return { deliver: (token) => file.write(token), cancel: () => file.discard() };
}

function adminTokenLine(adminToken: InitResult["adminToken"], output: string | undefined): string {
  const id = printable(adminToken.id); // from the store when it already existed
  const name = printable(adminToken.name);
  if (!adminToken.created) return `Admin token:    ${name} ${id} exists (not shown again)`;
  const replaced = adminToken.replaced
    ? ` (replaces ${printable(adminToken.replaced.name)}, ${adminToken.replaced.status})`
    : "";
  const expires = shortTime(adminToken.expiresAt ? new Date(adminToken.expiresAt) : null);
  return adminToken.token
    ? `Admin token:    created ${name} ${id}${replaced}, expires ${expires}. Shown once:\n\n${adminToken.token}\n`
    : `Admin token:    created ${name} ${id}${replaced}, saved to ${printable(output ?? "")} (mode 0600)`;
}
