import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import type { AuthEnabled } from "../../config/resolve.js";
import { isAuthError } from "../../errors.js";
import { RESERVED_GROUPS } from "../../groups/group.js";
import type { SigningKey } from "../../secrets/signing-key.js";
import { createSecretIfAbsent } from "../../secrets/source.js";
import type { CliContext } from "../context.js";
import { parseDuration, printable, shortTime } from "../output.js";

export const INIT_ADMIN_TOKEN_NAME = "init-admin";

export interface InitResult {
  secret: { created: boolean; name: string; version: number; fingerprint: string };
  groups: { created: string[] };
  adminToken: { created: boolean; id: string; expiresAt: string | null; token?: string };
}

/** 256 random bits, base64 (as `openssl rand -base64 32`). */
export function generateSecret(): string {
  return randomBytes(32).toString("base64");
}

/**
 * Bootstraps a store: signing secret if absent, reserved groups, one admin token. Never
 * overwrites anything, so running it twice changes nothing.
 */
export async function initialize(
  plane: AuthEnabled,
  options: { adminExpiresInSeconds: number },
): Promise<InitResult> {
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

  const existing = await auth.getTokenByName(INIT_ADMIN_TOKEN_NAME);
  let adminToken: InitResult["adminToken"];
  if (existing) {
    adminToken = {
      created: false,
      id: existing.id,
      expiresAt: existing.expiresAt?.toISOString() ?? null,
    };
  } else {
    const minted = await auth.createToken({
      groups: ["admin"],
      name: INIT_ADMIN_TOKEN_NAME,
      expiresInSeconds: options.adminExpiresInSeconds,
    });
    adminToken = {
      created: true,
      id: minted.record.id,
      expiresAt: minted.record.expiresAt?.toISOString() ?? null,
      token: minted.token,
    };
  }
  return {
    secret: { created, name: key.name, version: key.version, fingerprint: key.fingerprint },
    groups: { created: createdGroups },
    adminToken,
  };
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
      "\nSafe to run again: an existing secret is never overwritten and the admin token is\nprinted only when it is created. To get a new admin token, revoke the old one\n(gofr-auth tokens revoke --name init-admin) and run init again.",
    )
    .action(async (options: { adminExpires: string; output?: string }) => {
      const plane = await ctx.open();
      const result = await initialize(plane, {
        adminExpiresInSeconds: parseDuration(options.adminExpires),
      });
      const { secret, groups } = result;
      let { adminToken } = result;
      if (options.output && adminToken.token) {
        await writeFile(options.output, `${adminToken.token}\n`, { mode: 0o600, flag: "wx" });
        const { token: _written, ...rest } = adminToken;
        adminToken = rest;
      }
      const id = printable(adminToken.id); // from the store when it already existed
      const lines = [
        `Store:          ${plane.backend} ${printable(plane.location)}`,
        `Signing secret: ${secret.name} v${secret.version} ${secret.fingerprint} (${secret.created ? "created" : "present, unchanged"})`,
        `Groups:         ${groups.created.length > 0 ? `created ${groups.created.join(", ")}` : "public and admin present, unchanged"}`,
        !adminToken.created
          ? `Admin token:    ${id} exists (not shown again)`
          : adminToken.token
            ? `Admin token:    created ${id}, expires ${shortTime(adminToken.expiresAt ? new Date(adminToken.expiresAt) : null)}. Shown once:\n\n${adminToken.token}\n`
            : `Admin token:    created ${id}, saved to ${printable(options.output ?? "")} (mode 0600)`,
      ];
      if (!secret.created && groups.created.length === 0 && !adminToken.created) {
        lines.push("Nothing to do: the store was already initialised.");
      }
      ctx.emit(`${lines.join("\n")}\n`, {
        ...result,
        adminToken:
          options.output && adminToken.created
            ? { ...adminToken, output: options.output }
            : adminToken,
      });
    });
}
