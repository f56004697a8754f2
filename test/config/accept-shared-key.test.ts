/**
 * `<P>_ACCEPT_SHARED_KEY=0`, the last step of the migration runbook (docs/operations.md):
 * read from the environment, it implies strict issuer keys, the start-up check reads the
 * service's own key instead of the shared one, and shared-key tokens are refused.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readAuthEnv } from "../../src/config/env.js";
import { type AuthEnabled, resolveAuthConfig } from "../../src/config/resolve.js";
import type { AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { randomSecret } from "../sqlite/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "gofr-accept-shared-"));
let count = 0;
const planes: AuthEnabled[] = [];
afterEach(async () => {
  await Promise.all(planes.splice(0).map((plane) => plane.close()));
});

/** `checkSecret: false` for the operator, who writes the secrets first. */
async function plane(env: Record<string, string>, checkSecret = true): Promise<AuthEnabled> {
  const resolved = await resolveAuthConfig({
    envPrefix: "GOFR_SVC",
    env,
    logger: silentLogger,
    checkSecret,
  });
  if (!resolved.authEnabled) throw new Error("expected auth");
  planes.push(resolved);
  return resolved;
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("<P>_ACCEPT_SHARED_KEY", () => {
  it("defaults to on; 0 turns it off and implies strict issuer keys", () => {
    expect(readAuthEnv("GOFR_SVC", {}).acceptSharedKey).toBe(true);
    const off = readAuthEnv("GOFR_SVC", { GOFR_SVC_ACCEPT_SHARED_KEY: "0" });
    expect(off.acceptSharedKey).toBe(false);
    expect(off.strictIssuerKeys).toBe(true);
    expect(() => readAuthEnv("GOFR_SVC", { GOFR_SVC_ACCEPT_SHARED_KEY: "maybe" })).toThrow(
      /GOFR_SVC_ACCEPT_SHARED_KEY: must be a boolean/,
    );
  });

  it("=0: the service starts on its own key and refuses shared-key tokens", async () => {
    count += 1;
    const store = join(dir, `auth-${count}.db`);
    const operator = await plane({ GOFR_SVC_AUTH_STORE: store, GOFR_SVC_ISSUER: "billing" }, false);
    await operator.secretSource.write(SHARED_SECRET_NAME, randomSecret());
    await operator.auth.groups.ensureReservedGroups();
    const viaShared = await operator.auth.createToken({ groups: ["public"] });
    expect(viaShared.kid).toBe("shared.v1");
    await operator.secretSource.write(issuerSecretName("billing"), randomSecret());

    const service = await plane({
      GOFR_SVC_AUTH_STORE: store,
      GOFR_SVC_ISSUER: "billing",
      GOFR_SVC_ACCEPT_SHARED_KEY: "0",
    });
    expect(await codeOf(service.auth.verifyToken(viaShared.token))).toBe("issuer_untrusted");
    const own = await service.auth.createToken({ groups: ["public"] });
    expect(own.kid).toBe("billing.v1");
    expect((await service.auth.verifyToken(own.token)).issuer).toBe("billing");
  });

  it("=0 without an own key: start-up fails instead of falling back to the shared key", async () => {
    count += 1;
    const store = join(dir, `auth-${count}.db`);
    const operator = await plane({ GOFR_SVC_AUTH_STORE: store }, false);
    await operator.secretSource.write(SHARED_SECRET_NAME, randomSecret());
    const error = await resolveAuthConfig({
      envPrefix: "GOFR_SVC",
      env: {
        GOFR_SVC_AUTH_STORE: store,
        GOFR_SVC_ISSUER: "billing",
        GOFR_SVC_ACCEPT_SHARED_KEY: "0",
      },
      logger: silentLogger,
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "secret_unavailable" });
    expect((error as Error).message).toContain("acceptSharedKey: false");
  });
});
