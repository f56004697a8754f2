/**
 * The legacy env source maps secret names onto variables one-to-one. Before, issuer `key`
 * read `JWT_SECRET_KEY` (the shared secret) as its own, and `a-b` and `a_b` shared one
 * variable, so a token signed with the shared secret and naming `kid: key.v1` passed strict
 * mode as issuer `key`'s own.
 */
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { EnvSecretSource } from "../../src/secrets/env.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { captureLogger } from "../support/capture-logger.js";
import { forgeToken } from "../support/forge.js";

const SHARED = "shared-secret-for-the-whole-fleet-0123456789";
const A_DASH_B = "a-dash-b-own-secret-0123456789-abcdefghijkl";

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

function variableOrCode(issuer: string): string {
  try {
    return EnvSecretSource.variableFor(issuerSecretName(issuer));
  } catch (error) {
    return `refused:${(error as { code: string }).code}`;
  }
}

/** A strict verifier over env variables, and a token signed with `secret` naming `label`. */
function strictEnvFleet(env: Record<string, string>) {
  const clock = new ManualClock();
  const keyRing = new KeyRing({
    source: new EnvSecretSource({ env }),
    strict: true,
    clock: clock.now,
    logger: captureLogger(),
  });
  const verifier = new TokenService({ keyRing, issuer: "verifier", clock: clock.now });
  const token = (label: string, secret: string) => {
    const now = Math.floor(clock.now() / 1000);
    return forgeToken(
      { alg: "HS256", typ: "JWT", kid: `${label}.v1` },
      {
        jti: "j-1",
        groups: ["public"],
        iat: now,
        nbf: now,
        exp: now + 60,
        aud: "gofr-api",
        iss: label,
      },
      secret,
    );
  };
  return { verifier, token };
}

describe("EnvSecretSource mapping", () => {
  it("keeps the documented names: shared, and issuers with '-' written '_'", () => {
    expect(EnvSecretSource.variableFor(SHARED_SECRET_NAME)).toBe("JWT_SECRET_KEY");
    expect(variableOrCode("deposito")).toBe("JWT_SECRET_DEPOSITO");
    expect(variableOrCode("gofr-dig")).toBe("JWT_SECRET_GOFR_DIG");
    expect(variableOrCode("a-b")).toBe("JWT_SECRET_A_B");
  });

  it("gives no issuer the shared variable, and no two issuers one variable", () => {
    expect(variableOrCode("key")).toBe("refused:secret_unavailable");
    for (const issuer of ["a_b", "A-b", "a.b", "a b", "a/b", "_a", "-a", ""]) {
      expect(variableOrCode(issuer), issuer).toBe("refused:secret_unavailable");
    }
    // Every pair of names that used to collide now has at most one variable between them.
    const names = ["a-b", "a_b", "A-B", "a.b", "key", "KEY", "k-e-y", "x--y", "x__y", "x-_y"];
    const variables = names.map(variableOrCode).filter((v) => !v.startsWith("refused:"));
    expect(new Set(variables).size).toBe(variables.length);
    expect(variables).not.toContain("JWT_SECRET_KEY");
  });

  it("strict mode refuses a shared-key token naming kid key.v1 (issuer 'key')", async () => {
    const { verifier, token } = strictEnvFleet({ JWT_SECRET_KEY: SHARED });
    expect(await codeOf(verifier.verify(token("key", SHARED)))).toBe("token_invalid");
  });

  it("issuer a_b cannot use a-b's secret as its own", async () => {
    const { verifier, token } = strictEnvFleet({
      JWT_SECRET_KEY: SHARED,
      JWT_SECRET_A_B: A_DASH_B,
    });
    expect(await codeOf(verifier.verify(token("a-b", A_DASH_B)))).toBe("resolved");
    expect(await codeOf(verifier.verify(token("a_b", A_DASH_B)))).toBe("token_invalid");
  });

  it("the refusal names the issuer and why, never a value", async () => {
    const source = new EnvSecretSource({ env: { JWT_SECRET_KEY: SHARED } });
    const error = (await source.read(issuerSecretName("key")).catch((caught) => caught)) as Error;
    expect(error.message).toContain("'key'");
    expect(error.message).toContain("JWT_SECRET_KEY, the shared secret");
    expect(error.message).not.toContain(SHARED);
  });
});
