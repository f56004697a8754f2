/**
 * Where a command reads a token from. An argument is visible to every user of the machine
 * (`ps`, `/proc/<pid>/cmdline`) and stays in shell history, so `tokens inspect` and
 * `tokens revoke` also take it from stdin (`-`) or from a file (`--token-file`).
 */
import { open } from "node:fs/promises";
import { AuthError } from "../errors.js";
import type { CliContext } from "./context.js";
import { UsageError } from "./output.js";

/**
 * The most read from stdin or a token file: far above any token (8 KiB by default), small
 * enough that a wrong file is refused quickly.
 */
export const MAX_TOKEN_INPUT_BYTES = 64 * 1024;

/** Help text shared by the commands that take a token. */
export const TOKEN_INPUT_HELP =
  "\nPass the token on stdin (-) or in a file (--token-file), not as an argument: arguments\n" +
  "are visible to other users in `ps` and stay in shell history. For example:\n" +
  "  gofr-auth tokens inspect --token-file ./token.txt\n" +
  "  printf '%s' \"$TOKEN\" | gofr-auth tokens inspect -   (printf is a shell builtin)";

/**
 * The token (or id) from the argument, from stdin when the argument is `-`, or from
 * `file`; surrounding white space removed. Undefined when none was given.
 */
export async function readTokenInput(
  ctx: CliContext,
  argument: string | undefined,
  file: string | undefined,
): Promise<string | undefined> {
  if (argument !== undefined && file !== undefined) {
    throw new UsageError("give the token once: as an argument, as '-' (stdin) or --token-file");
  }
  if (file !== undefined) return nonEmpty(await readTokenFile(file), `the file ${file}`);
  if (argument === "-") {
    return nonEmpty(await ctx.readStdin(MAX_TOKEN_INPUT_BYTES), "stdin");
  }
  return argument?.trim();
}

function nonEmpty(text: string, where: string): string {
  const trimmed = text.trim();
  if (trimmed === "") throw new UsageError(`no token in ${where}`);
  return trimmed;
}

/** Reads at most MAX_TOKEN_INPUT_BYTES + 1 bytes, so a huge file is refused unread. */
async function readTokenFile(path: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new AuthError("invalid_input", `Cannot read the token file ${path} (${code})`, {
      hint: "check the path and that this user may read it",
      cause: error,
    });
  }
  try {
    // A loop, not one read: a pipe (`--token-file <(pass show x)`) hands out what it has.
    const buffer = Buffer.alloc(MAX_TOKEN_INPUT_BYTES + 1);
    let bytesRead = 0;
    for (;;) {
      const { bytesRead: got } = await handle.read(buffer, bytesRead, buffer.length - bytesRead);
      bytesRead += got;
      if (got === 0 || bytesRead === buffer.length) break;
    }
    if (bytesRead > MAX_TOKEN_INPUT_BYTES) {
      throw new AuthError(
        "invalid_input",
        `The token file ${path} is larger than ${MAX_TOKEN_INPUT_BYTES} bytes`,
        { hint: "the file must hold only the token (or token id)" },
      );
    }
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}
