import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { AuthError, isAuthError } from "../../errors.js";
import { decodeUnverified } from "../../tokens/decode.js";
import type { TokenRecord, TokenStatus } from "../../tokens/record.js";
import type { CliContext } from "../context.js";
import { parseDuration, printable, remaining, shortTime, table, UsageError } from "../output.js";
import { readTokenInput, TOKEN_INPUT_HELP } from "../token-input.js";

export function registerTokens(program: Command, ctx: CliContext): void {
  const tokens = program
    .command("tokens")
    .description("create, list, revoke and inspect tokens")
    .addHelpText(
      "after",
      "\nExamples:\n  gofr-auth tokens create --groups admin --name ops-laptop --expires 7d\n  gofr-auth tokens list --status active\n  gofr-auth tokens revoke 3f2b8c1e-8d9a-4b7c-9e6f-1a2b3c4d5e6f\n  gofr-auth tokens inspect --token-file ./token.txt",
    );

  tokens
    .command("create")
    .description("mint a token for existing groups; the token is printed once, on stdout")
    .requiredOption("-g, --groups <names>", "comma-separated groups, e.g. admin,finance")
    .option("-e, --expires <duration>", "lifetime: 30d, 12h, 90m or seconds", "30d")
    .option("-n, --name <name>", "unique name (3-64 of a-z, 0-9, '-')")
    .option("-o, --output <file>", "write the token to this file (mode 0600) instead of stdout")
    .option("-i, --issuer <name>", "mint as this issuer (iss claim and its own key)", undefined)
    .action(
      async (options: {
        groups: string;
        expires: string;
        name?: string;
        output?: string;
        issuer?: string;
      }) => {
        const groups = options.groups
          .split(",")
          .map((group) => group.trim())
          .filter(Boolean);
        if (groups.length === 0) throw new UsageError("--groups needs at least one group");
        const expiresInSeconds = parseDuration(options.expires);
        const { auth: plane } = await ctx.open();
        const auth = options.issuer ? plane.forIssuer(options.issuer) : plane;
        const { token, record, kid } = await auth.createToken({
          groups,
          expiresInSeconds,
          name: options.name,
        });
        if (options.output) {
          await writeFile(options.output, `${token}\n`, { mode: 0o600, flag: "wx" });
        }
        const summary = { ...recordJson(record), kid };
        if (ctx.json) {
          ctx.emit(
            "",
            options.output ? { ...summary, output: options.output } : { ...summary, token },
          );
          return;
        }
        ctx.note(
          printable(
            `Created token ${record.id}${record.name ? ` (${record.name})` : ""} for ${groups.join(", ")}, expires ${shortTime(record.expiresAt)}`,
          ),
        );
        if (options.output) ctx.io.stdout(`Token saved to ${printable(options.output)}\n`);
        else ctx.io.stdout(`${token}\n`);
      },
    );

  tokens
    .command("list")
    .description("list tokens, newest first (never shows the tokens themselves)")
    .option("-s, --status <status>", "active or revoked")
    .action(async (options: { status?: string }) => {
      if (options.status && options.status !== "active" && options.status !== "revoked") {
        throw new UsageError(`--status must be active or revoked, got '${options.status}'`);
      }
      const { auth } = await ctx.open();
      const records = await auth.listTokens({ status: options.status as TokenStatus | undefined });
      const now = ctx.clock();
      const rows = records.map((r) => [
        r.id,
        r.name ?? "-",
        statusOf(r, now),
        r.groups.join(","),
        remaining(r.expiresAt, now),
      ]);
      ctx.emit(
        `${table(["ID", "NAME", "STATUS", "GROUPS", "EXPIRES IN"], rows)}Total: ${records.length} tokens\n`,
        records.map(recordJson),
      );
    });

  tokens
    .command("revoke")
    .description("revoke a token by id, by the token itself, or by --name")
    .argument("[id-or-token]", "token id (UUID), the token, or - to read either from stdin")
    .option("-n, --name <name>", "revoke the token with this name")
    .option("--token-file <path>", "read the token (or id) from this file")
    .addHelpText("after", TOKEN_INPUT_HELP.replaceAll("inspect", "revoke"))
    .action(
      async (argument: string | undefined, options: { name?: string; tokenFile?: string }) => {
        const idOrToken = await readTokenInput(ctx, argument, options.tokenFile);
        if (!idOrToken && !options.name) {
          throw new UsageError("give a token id, a token (-, --token-file), or --name");
        }
        if (idOrToken && options.name) throw new UsageError("give a token or --name, not both");
        const { auth } = await ctx.open();
        let target = idOrToken;
        if (options.name) {
          const record = await auth.getTokenByName(options.name);
          if (!record) {
            throw new AuthError("token_not_found", `No token named '${options.name}'`, {
              hint: "gofr-auth tokens list",
            });
          }
          target = record.id;
        }
        const { record, changed } = await auth.revokeToken(target as string);
        ctx.emit(
          changed
            ? `Token ${printable(record.id)} revoked\n`
            : `Token ${printable(record.id)} was already revoked at ${shortTime(record.revokedAt)} (unchanged)\n`,
          { ...recordJson(record), changed },
        );
      },
    );

  tokens
    .command("inspect")
    .description("show a token's header, claims, validity and signing key (exit 1 if invalid)")
    .argument("[token]", "the token, or - to read it from stdin (prefer - or --token-file)")
    .option("--token-file <path>", "read the token from this file")
    .addHelpText("after", TOKEN_INPUT_HELP)
    .action(async (argument: string | undefined, options: { tokenFile?: string }) => {
      const token = await readTokenInput(ctx, argument, options.tokenFile);
      if (!token) throw new UsageError("give the token: -, --token-file <path>, or as an argument");
      const { header, payload } = decodeUnverified(token);
      const { auth } = await ctx.open();
      let validity: { valid: boolean; code?: string; reason?: string };
      try {
        await auth.verifyToken(token);
        validity = { valid: true };
      } catch (error) {
        if (!isAuthError(error) || error.category === "unavailable") throw error;
        validity = { valid: false, code: error.code, reason: error.message };
      }
      const current = await auth.tokens.secretProvider.getKey();
      const record =
        typeof payload.jti === "string"
          ? await auth.getToken(payload.jti).catch(() => undefined)
          : undefined;
      const key = {
        kid: header.kid ?? null,
        currentVersion: current.version,
        currentFingerprint: current.fingerprint,
      };
      const result = {
        header,
        claims: payload,
        validity,
        key,
        record: record ? recordJson(record) : null,
      };
      if (!validity.valid) ctx.exitCode = 1;
      const now = ctx.clock();
      const exp = typeof payload.exp === "number" ? new Date(payload.exp * 1000) : null;
      // Every line quotes the token or the store: each is escaped for the terminal (one line
      // each, so a line break in a claim cannot fake another line).
      ctx.emit(
        [
          `Header:    ${JSON.stringify(header)}`,
          `Claims:    ${JSON.stringify(payload)}`,
          `Signed by: ${header.kid ?? "(no kid: the current shared key)"}; current key v${current.version} ${current.fingerprint}`,
          `Expires:   ${shortTime(exp)} (${remaining(exp, now)})`,
          `Record:    ${record ? `${statusOf(record, now)}${record.name ? `, name ${record.name}` : ""}` : "not in the store"}`,
          `Status:    ${validity.valid ? "VALID" : `INVALID [${validity.code}] ${validity.reason}`}`,
        ]
          .map((line) => `${printable(line)}\n`)
          .join(""),
        result,
      );
    });
}

function statusOf(record: TokenRecord, nowMs: number): string {
  if (record.status === "revoked") return "revoked";
  if (record.expiresAt && record.expiresAt.getTime() <= nowMs) return "expired";
  return "active";
}

export function recordJson(record: TokenRecord) {
  return {
    id: record.id,
    name: record.name,
    groups: record.groups,
    status: record.status,
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}
