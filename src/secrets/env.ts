import { AuthError } from "../errors.js";
import {
  ISSUER_SECRETS_PREFIX,
  type SecretSource,
  type SecretVersion,
  SHARED_SECRET_NAME,
} from "./source.js";
import { PLACEHOLDER_PATTERN } from "./validate.js";

/** The shared secret's variable. */
const SHARED_VARIABLE = "JWT_SECRET_KEY";

/**
 * Issuer names with a variable of their own: lower-case letters, digits and `-`. Upper-
 * casing and `-` -> `_` are then one-to-one; `_`, `.` or capitals would let two issuers
 * (`a-b`, `a_b`, `A-b`) share one variable.
 */
const MAPPABLE_ISSUER = /^[a-z0-9][a-z0-9-]*$/;

export interface EnvSecretSourceOptions {
  /** The environment to read (config passes `process.env`). */
  env: NodeJS.ProcessEnv;
  /** When the values were loaded, reported as their creation time. Default now. */
  loadedAt?: Date;
  /** Let providers accept weak values (see `weakSecretReason`); tests only. Default false. */
  allowWeakSecrets?: boolean;
}

/**
 * LEGACY, for services not yet on a store: `JWT_SECRET_KEY` is the shared secret and
 * `JWT_SECRET_<ISSUER>` an issuer's own, the issuer's name upper-cased with `-` as `_`
 * (`deposito-api` -> `JWT_SECRET_DEPOSITO_API`). The mapping is one-to-one: issuers whose
 * names hold anything but `a-z`, `0-9` and `-`, and the issuer `key` (whose variable would
 * be the shared secret's), have no variable, so they never read another's secret. Used
 * only when a service sets `<P>_SECRET_SOURCE=env`; `doctor` reports it. Env values cannot
 * be versioned (always version 1) nor rotated without a restart.
 */
export class EnvSecretSource implements SecretSource {
  readonly description = "environment variables (legacy)";
  readonly allowsWeakSecrets: boolean;
  private readonly env: NodeJS.ProcessEnv;
  private readonly loadedAt: Date;

  constructor(options: EnvSecretSourceOptions) {
    this.env = options.env;
    this.loadedAt = options.loadedAt ?? new Date();
    this.allowsWeakSecrets = options.allowWeakSecrets ?? false;
  }

  /**
   * The variable holding `name`: `JWT_SECRET_KEY` or `JWT_SECRET_<ISSUER>`. A name without
   * one is refused as not found (`secret_unavailable`): the issuer has no own secret here.
   */
  static variableFor(name: string): string {
    if (name === SHARED_SECRET_NAME) return SHARED_VARIABLE;
    if (!name.startsWith(`${ISSUER_SECRETS_PREFIX}/`)) {
      throw new AuthError(
        "secret_unavailable",
        `The env source has no variable for secret '${name}'`,
      );
    }
    const issuer = name.slice(ISSUER_SECRETS_PREFIX.length + 1);
    const variable = `JWT_SECRET_${issuer.toUpperCase().replaceAll("-", "_")}`;
    if (MAPPABLE_ISSUER.test(issuer) && variable !== SHARED_VARIABLE) return variable;
    const why = MAPPABLE_ISSUER.test(issuer)
      ? `its variable would be ${SHARED_VARIABLE}, the shared secret`
      : "only names of a-z, 0-9 and '-' map one-to-one onto JWT_SECRET_<ISSUER>";
    throw new AuthError(
      "secret_unavailable",
      `Issuer '${issuer.slice(0, 64)}' has no legacy env variable: ${why}`,
      {
        hint: "rename the issuer, or move its secret to the store (gofr-auth secrets generate)",
        details: { secret: name.slice(0, 128) },
      },
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
    if (PLACEHOLDER_PATTERN.test(value)) {
      throw new AuthError("secret_invalid", `${variable} holds a placeholder value`, {
        hint: "generate a real secret: openssl rand -base64 32",
        details: { secret: name, variable },
      });
    }
    return { value, version: 1, createdAt: this.loadedAt };
  }
}
