/**
 * `--output <file>`: where `tokens create` and `init` put a newly minted token. The file is
 * created (exclusively, mode 0600) before anything is minted, so an existing file, a missing
 * folder or a folder this user may not write fail while no token exists yet; a failure
 * after minting revokes the token, so no valid token is left that nobody holds.
 */
import { type FileHandle, open, unlink } from "node:fs/promises";
import type { AuthService } from "../auth-service.js";
import { AuthError, describeError } from "../errors.js";

/** What went wrong with a file, in words (never a raw errno such as `EEXIST`). */
function fileProblem(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case "EEXIST":
      return "it already exists (an output file is never overwritten)";
    case "ENOENT":
      return "its folder does not exist";
    case "ENOTDIR":
      return "a part of its path is not a folder";
    case "EISDIR":
      return "it is a folder";
    case "EACCES":
    case "EPERM":
      return "this user may not create files in its folder";
    case "EROFS":
      return "its filesystem is read-only";
    case "ENOSPC":
    case "EDQUOT":
      return "the disk is full";
    default:
      return "the system refused it";
  }
}

/** A reserved output file: empty and ours until {@link write} or {@link discard}. */
export class TokenFile {
  private constructor(
    readonly path: string,
    private handle: FileHandle | undefined,
  ) {}

  /** Creates `path` (mode 0600, must not exist) or fails with a plain-words reason. */
  static async reserve(path: string): Promise<TokenFile> {
    try {
      return new TokenFile(path, await open(path, "wx", 0o600));
    } catch (error) {
      throw new AuthError(
        "invalid_input",
        `Cannot write the token to ${path}: ${fileProblem(error)}`,
        {
          hint: "give --output a new file in an existing folder you may write; nothing was minted",
          cause: error,
        },
      );
    }
  }

  /** Writes the token (one line) and closes the file. */
  async write(token: string): Promise<void> {
    const handle = this.take();
    try {
      await handle.writeFile(`${token}\n`);
    } catch (error) {
      await handle.close().catch(() => {});
      await unlink(this.path).catch(() => {});
      throw new AuthError(
        "invalid_input",
        `Cannot write the token to ${this.path}: ${fileProblem(error)}`,
        {
          cause: error,
        },
      );
    }
    await handle.close();
  }

  /** Closes and removes the still empty file (nothing was minted, or nothing to write). */
  async discard(): Promise<void> {
    if (!this.handle) return;
    await this.take()
      .close()
      .catch(() => {});
    await unlink(this.path).catch(() => {});
  }

  private take(): FileHandle {
    const handle = this.handle;
    if (!handle) throw new Error(`${this.path} was already written or discarded`);
    this.handle = undefined;
    return handle;
  }
}

/**
 * Runs `deliver` for a token just minted; if it fails, revokes the token (nobody holds it)
 * and rethrows, saying so. If the revocation fails too, the error names the token id to
 * revoke by hand.
 */
export async function deliverOrRevoke(
  auth: AuthService,
  tokenId: string,
  deliver: () => Promise<void>,
): Promise<void> {
  try {
    await deliver();
  } catch (error) {
    const why = messageOf(error);
    try {
      await auth.revokeToken(tokenId);
    } catch (revokeError) {
      throw new AuthError(
        "store_unavailable",
        `${why}; the token ${tokenId} was minted but could not be revoked: ${describeError(revokeError)}`,
        {
          hint: `revoke it when the store is back: gofr-auth tokens revoke ${tokenId}`,
          cause: error,
        },
      );
    }
    throw new AuthError("invalid_input", `${why}; the token ${tokenId} was revoked`, {
      hint: "nothing usable was created; fix the output and run the command again",
      cause: error,
    });
  }
}

/** An error's message without the ` (hint: ...)` an `AuthError` appends. */
function messageOf(error: unknown): string {
  if (error instanceof AuthError && error.hint) {
    return error.message.replace(` (hint: ${error.hint})`, "");
  }
  return error instanceof Error ? error.message : String(error);
}
