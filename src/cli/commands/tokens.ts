import type { Command } from "commander";
import { AuthError } from "../../errors.js";
import { decodeUnverified } from "../../tokens/decode.js";
import type { CliContext } from "../context.js";
import { parseDuration, printable, remaining, shortTime, table, UsageError } from "../output.js";
import { deliverOrRevoke, TokenFile } from "../token-file.js";
import { readTokenInput, TOKEN_INPUT_HELP } from "../token-input.js";
import {
  recordJson,
  TOKEN_STATUS_HELP,
  TOKEN_STATUSES,
  type TokenState,
  TokenStatusJudge,
} from "../token-status.js";
import { registerTokensInspect } from "./tokens-inspect.js";

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
    .option(
      "-i, --issuer <name>",
      "mint as this issuer (iss claim and its own key; EdDSA when <PREFIX>_ISSUER_ALGORITHMS here lists EdDSA first for it, see gofr-auth keys --help)",
      undefined,
    )
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
        // Before minting: a bad --output fails while no token exists.
        const file = options.output ? await TokenFile.reserve(options.output) : undefined;
        let minted: Awaited<ReturnType<typeof auth.createToken>>;
        try {
          minted = await auth.createToken({ groups, expiresInSeconds, name: options.name });
        } catch (error) {
          await file?.discard();
          throw error;
        }
        const { token, record, kid } = minted;
        if (file) await deliverOrRevoke(auth, record.id, () => file.write(token));
        const algorithm = decodeUnverified(token).header.alg;
        const summary = { ...recordJson(record, "active"), kid, algorithm };
        if (ctx.json) {
          ctx.emit(
            "",
            options.output ? { ...summary, output: options.output } : { ...summary, token },
          );
          return;
        }
        ctx.note(
          printable(
            `Created token ${record.id}${record.name ? ` (${record.name})` : ""} for ${groups.join(", ")}, expires ${shortTime(record.expiresAt)}, signed ${algorithm} with ${kid}`,
          ),
        );
        if (options.output) ctx.io.stdout(`Token saved to ${printable(options.output)}\n`);
        else ctx.io.stdout(`${token}\n`);
      },
    );

  tokens
    .command("list")
    .description("list tokens, newest first (never shows the tokens themselves)")
    .option("-s, --status <status>", `only tokens in this status: ${TOKEN_STATUSES.join(", ")}`)
    .addHelpText("after", TOKEN_STATUS_HELP)
    .action(async (options: { status?: string }) => {
      const wanted = options.status as TokenState | undefined;
      if (wanted !== undefined && !TOKEN_STATUSES.includes(wanted)) {
        throw new UsageError(
          `--status must be one of ${TOKEN_STATUSES.join(", ")}, got '${options.status}'`,
        );
      }
      const plane = await ctx.open();
      const now = ctx.clock();
      const judge = new TokenStatusJudge(plane, now);
      const judged = await Promise.all(
        (await plane.auth.listTokens()).map(async (record) => ({
          record,
          status: await judge.statusOf(record),
        })),
      );
      const shown = judged.filter(({ status }) => wanted === undefined || status === wanted);
      const rows = shown.map(({ record, status }) => [
        record.id,
        record.name ?? "-",
        status,
        record.groups.join(","),
        remaining(record.expiresAt, now),
      ]);
      ctx.emit(
        `${table(["ID", "NAME", "STATUS", "GROUPS", "EXPIRES IN"], rows)}Total: ${shown.length} tokens\n`,
        shown.map(({ record, status }) => recordJson(record, status)),
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
        // Not quoted: it may be a mangled token.
        if (idOrToken && !UUID.test(idOrToken) && idOrToken.split(".").length !== 3) {
          throw new UsageError(
            "expected a token id (a UUID, see `gofr-auth tokens list`) or a token (three parts separated by dots)",
          );
        }
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
          { ...recordJson(record, "revoked"), changed },
        );
      },
    );

  registerTokensInspect(tokens, ctx);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
