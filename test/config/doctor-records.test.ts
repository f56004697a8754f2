/**
 * `doctor` on the embedded store: a weak signing secret (here the public test secret, long
 * enough to pass the length rule) is `secret_too_weak`, and records the store cannot trust
 * are listed (`records_malformed`) instead of breaking anything.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { doctor, type Finding } from "../../src/config/doctor.js";
import { resolveAuthConfig } from "../../src/config/resolve.js";
import { silentLogger } from "../../src/log.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { SqliteSecretSource } from "../../src/secrets/sqlite.js";
import { TEST_SECRET } from "../../src/testing/index.js";
import { randomSecret } from "../sqlite/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "gofr-doctor-records-"));
let count = 0;

/** A store file holding `secret` (written past the weak-value rules) and the reserved groups. */
async function storeWith(secret: string): Promise<Record<string, string>> {
  count += 1;
  const path = join(dir, `auth-${count}.db`);
  const source = new SqliteSecretSource({ path, allowWeakSecrets: true });
  await source.write(SHARED_SECRET_NAME, secret);
  await source.close();
  const env = { GOFR_DIG_AUTH_STORE: path };
  const plane = await resolveAuthConfig({
    envPrefix: "GOFR_DIG",
    env,
    logger: silentLogger,
    checkSecret: false,
  });
  if (!plane.authEnabled) throw new Error("expected auth");
  await plane.auth.groups.ensureReservedGroups();
  await plane.close();
  return env;
}

function find(list: Finding[], code: string): Finding | undefined {
  return list.find((finding) => finding.code === code);
}

describe("doctor on the stored secret and records", () => {
  it("secret_too_weak: the public test secret in the store", async () => {
    const list = await doctor({
      envPrefix: "GOFR_DIG",
      env: await storeWith(TEST_SECRET),
      inContainer: false,
    });
    expect(find(list, "secret_too_weak")?.level).toBe("error");
    expect(find(list, "secret_too_weak")?.message).toContain("publicly known test secret");
    expect(find(list, "secret_ok")).toBeUndefined();
    expect(JSON.stringify(list)).not.toContain(TEST_SECRET);
  });

  it("records_ok, then records_malformed once a row is revoked with SQL", async () => {
    const env = await storeWith(randomSecret());
    const before = await doctor({ envPrefix: "GOFR_DIG", env, inContainer: false });
    expect(find(before, "records_ok")?.level).toBe("ok");

    const raw = new Database(env.GOFR_DIG_AUTH_STORE as string);
    const { id } = raw.prepare("SELECT id FROM groups WHERE name = 'admin'").get() as {
      id: string;
    };
    raw.prepare("UPDATE groups SET is_active = 0 WHERE id = ?").run(id);
    raw.close();

    const after = await doctor({ envPrefix: "GOFR_DIG", env, inContainer: false });
    const finding = find(after, "records_malformed");
    expect(finding?.level).toBe("error");
    expect(finding?.message).toContain(`groups/${id} (its is_active column is 0`);
    expect(finding?.fix).toContain("is_active");
  });
});
