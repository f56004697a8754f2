import { Command, CommanderError } from "commander";
import { registerDoctor } from "./commands/doctor.js";
import { registerGroups } from "./commands/groups.js";
import { registerInit } from "./commands/init.js";
import { registerKeys } from "./commands/keys.js";
import { registerPolicy } from "./commands/policy.js";
import { registerSecrets } from "./commands/secrets.js";
import { registerTokens } from "./commands/tokens.js";
import { CliContext, type CliOptions } from "./context.js";
import { EXIT_CODES_HELP, exitCodeFor, formatError, printableLines, processIo } from "./output.js";

export const VERSION = "0.1.0";

function buildProgram(ctx: CliContext): Command {
  const program = new Command("gofr-auth")
    .description(
      "Operate a gofr auth plane: signing secrets, groups and tokens in Vault or the embedded store.",
    )
    .version(VERSION)
    .option("-p, --env-prefix <prefix>", "read <PREFIX>_VAULT_URL etc.", "GOFR")
    .option("--json", "machine output: one JSON document on stdout")
    .option("--debug", "show info logs and stack traces")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      `
Configuration comes from the environment (prefix GOFR unless --env-prefix):
  GOFR_VAULT_URL            Vault address; unset = embedded SQLite store (single machine)
  GOFR_VAULT_TOKEN          or GOFR_VAULT_ROLE_ID + GOFR_VAULT_SECRET_ID, or /run/secrets/vault_creds
  GOFR_VAULT_PATH_PREFIX    default gofr/auth (shared by every service)
  GOFR_AUTH_STORE           embedded store file, default ./.gofr-auth/auth.db
Signing secrets are never passed on the command line or in env vars.
Only \`init\` creates a store; every other command refuses a missing one and, after it
ran, names the store it used on stderr (Store: sqlite /abs/path).

${EXIT_CODES_HELP}`,
    )
    .hook("preAction", (command) => {
      const options = command.optsWithGlobals() as {
        envPrefix: string;
        json?: boolean;
        debug?: boolean;
      };
      ctx.envPrefix = options.envPrefix;
      ctx.json = options.json ?? false;
      ctx.debug = options.debug ?? false;
    });
  registerInit(program, ctx);
  registerGroups(program, ctx);
  registerTokens(program, ctx);
  registerSecrets(program, ctx);
  registerKeys(program, ctx);
  registerDoctor(program, ctx);
  registerPolicy(program, ctx);
  for (const command of [program, ...allSubcommands(program)]) {
    command.exitOverride();
    command.configureOutput({
      writeOut: (text) => ctx.io.stdout(text),
      // Usage errors quote the arguments given (a pasted token among them).
      writeErr: (text) => ctx.io.stderr(printableLines(text)),
    });
  }
  return program;
}

function allSubcommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allSubcommands(child)]);
}

/** Runs the CLI in-process and returns the exit code (tests call this directly). */
export async function runCli(argv: readonly string[], options: CliOptions = {}): Promise<number> {
  const ctx = new CliContext(options.io ?? processIo, options);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
    ctx.nameStore();
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" in commander's model; real usage errors exit 2.
      if (error.exitCode === 0) return 0;
      // A command group without a subcommand prints its help and exits 1 in commander.
      return error.code === "commander.help" ? 0 : 2;
    }
    ctx.io.stderr(formatError(error, ctx.debug));
    return exitCodeFor(error);
  } finally {
    await ctx.close();
  }
}
