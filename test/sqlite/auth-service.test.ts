import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import type { AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { SqliteSecretSource } from "../../src/secrets/sqlite.js";
import { openAuthDatabase } from "../../src/sqlite/database.js";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import { ManualClock } from "../../src/testing/clock.js";
import { randomSecret, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

/** One process's view: a service (or the CLI) over its own handle on the shared file. */
function openService(path: string, clock: ManualClock) {
  const database = openAuthDatabase({ path });
  const store = new SqliteAuthStore({ database });
  const source = new SqliteSecretSource({ database, clock: clock.now });
  const secretProvider = new JwtSecretProvider({ source, clock: clock.now, logger: silentLogger });
  const auth = new AuthService({ store, secretProvider, clock: clock.now, logger: silentLogger });
  temp.onCleanup(async () => {
    await store.close();
    await source.close();
  });
  return { auth, store, source, database };
}

describe("AuthService over the embedded store", () => {
  it("creates, verifies (store-checked) and revokes tokens across two handles", async () => {
    const path = join(temp.dir(), ".gofr-auth", "auth.db");
    const clock = new ManualClock();
    const cli = openService(path, clock);
    expect(await cli.source.writeIfAbsent(SHARED_SECRET_NAME, randomSecret())).toBeDefined();
    await cli.auth.groups.create("finance");
    const { token, record } = await cli.auth.createToken({
      groups: ["finance"],
      name: "billing-api",
    });
    expect(await cli.store.getToken(record.id)).toEqual(record);

    // A running service with its own handle verifies the token the CLI just wrote.
    const service = openService(path, clock);
    const context = await service.auth.verifyToken(token);
    expect(context.tokenId).toBe(record.id);
    expect(context.groups).toEqual(["finance", "public"]);
    expect(context.keyId).toBe("shared.v1");
    expect((await service.auth.groups.list()).map((group) => group.name)).toEqual([
      "admin",
      "finance",
      "public",
    ]);

    clock.advanceSeconds(30);
    const revoked = await cli.auth.revokeToken(record.id);
    expect(revoked.changed).toBe(true);
    expect(await codeOf(service.auth.verifyToken(token))).toBe("token_revoked");
    expect((await service.auth.getToken(record.id))?.revokedAt).toEqual(new Date(clock.now()));
    expect(await codeOf(service.auth.verifyToken(token, { stateless: true }))).toBe("resolved");
    expect(
      await codeOf(service.auth.createToken({ groups: ["finance"], name: "billing-api" })),
    ).toBe("token_name_taken");
  });
});
