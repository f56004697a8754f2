import { AuthError } from "../errors.js";
import {
  ISSUER_SECRETS_PREFIX,
  type SecretSource,
  type SecretVersion,
  SHARED_SECRET_NAME,
} from "./source.js";

/** Values that ship in templates and must never sign a token. */
const PLACEHOLDER =
  /change[-_ ]?me|replace[-_ ]?me|your[-_ ]?secret|placeholder|^(secret|password|x+|0+)$/i;

export interface EnvSecretSourceOptions {
  /** The environment to read (config passes `process.env`). */
  env: NodeJS.ProcessEnv;
  /** When the values were loaded, reported as their creation time. Default now. */
  loadedAt?: Date;
}

/**
 * LEGACY, for services not yet on a store: `JWT_SECRET_KEY` is the shared secret and
 * `JWT_SECRET_<ISSUER>` an issuer's own (e.g. `JWT_SECRET_DEPOSITO`). Used only when a
 * service sets `<P>_SECRET_SOURCE=env`; `doctor` reports it. Env values cannot be versioned
 * (always version 1) nor rotated without a restart.
 */
export class EnvSecretSource implements SecretSource {
  readonly description = "environment variables (legacy)";
  private readonly env: NodeJS.ProcessEnv;
  private readonly loadedAt: Date;

  constructor(options: EnvSecretSourceOptions) {
    this.env = options.env;
    this.loadedAt = options.loadedAt ?? new Date();
  }

  /** The variable holding `name`: `JWT_SECRET_KEY` or `JWT_SECRET_<ISSUER>`. */
  static variableFor(name: string): string {
    if (name === SHARED_SECRET_NAME) return "JWT_SECRET_KEY";
    if (name.startsWith(`${ISSUER_SECRETS_PREFIX}/`)) {
      const issuer = name.slice(ISSUER_SECRETS_PREFIX.length + 1);
      return `JWT_SECRET_${issuer.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
    }
    throw new AuthError(
      "secret_unavailable",
      `The env source has no variable for secret '${name}'`,
    );
  }

  async read(name: string, version?: number): Promise<SecretVersion> {
    const variable = EnvSecretSource.variableFor(name);
    const value = this.env[variable];
    if (value === undefined || value === "" || (version !== undefined && version !== 1)) {
      throw new AuthError("secret_unavailable", `${variable} is not set`, {
        hint: `set ${variable}, or better: move the secret to Vault and unset the env source`,
        details: { secret: name, variable },
      });
    }
    if (PLACEHOLDER.test(value.trim())) {
      throw new AuthError("secret_invalid", `${variable} holds a placeholder value`, {
        hint: "generate a real secret: openssl rand -base64 32",
        details: { secret: name, variable },
      });
    }
    return { value, version: 1, createdAt: this.loadedAt };
  }
}
