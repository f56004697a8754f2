/**
 * AppRole credentials: `role_id` and `secret_id` from the options, or from the JSON creds
 * file, read again at every login so a rotated secret_id is picked up without a restart.
 * Errors name the file, never its content (it holds the secret_id).
 */
import { readFile } from "node:fs/promises";
import { DEFAULT_CREDS_FILE } from "../defaults.js";
import { AuthError } from "../errors.js";
import type { AppRoleAuthOptions } from "./auth.js";

export interface AppRoleCredentials {
  roleId: string;
  secretId: string;
}

/** role_id and secret_id from the options, filling gaps from the creds file. */
export async function readAppRoleCredentials(
  auth: AppRoleAuthOptions,
): Promise<AppRoleCredentials> {
  if (auth.roleId && auth.secretId) return { roleId: auth.roleId, secretId: auth.secretId };
  const file = auth.credsFile ?? DEFAULT_CREDS_FILE;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new AuthError(
      "config_invalid",
      `Cannot read the AppRole credentials file ${file} (${typeof code === "string" ? code : "error"})`,
      {
        hint: "mount it (JSON {role_id, secret_id}) or pass roleId and secretId",
        details: { file },
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Never quote the file: it holds the secret_id.
    throw new AuthError("config_invalid", `The AppRole credentials file ${file} is not JSON`, {
      hint: 'write {"role_id": "...", "secret_id": "..."}',
      details: { file },
    });
  }
  const record = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  const roleId = auth.roleId ?? record.role_id;
  const secretId = auth.secretId ?? record.secret_id;
  if (typeof roleId !== "string" || roleId === "" || typeof secretId !== "string" || !secretId) {
    throw new AuthError(
      "config_invalid",
      `The AppRole credentials file ${file} lacks a string role_id or secret_id`,
      { hint: 'write {"role_id": "...", "secret_id": "..."}', details: { file } },
    );
  }
  return { roleId, secretId };
}
