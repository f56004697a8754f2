/**
 * Weak signing secrets are refused wherever secrets are read (the provider), from Vault and
 * SQLite as from env: long enough is not enough. "Weak" is defined in `weakSecretReason`
 * (and docs/operations.md, "Weak secrets"): a template phrase, fewer than 8 distinct
 * characters, a repeated shorter pattern, or the public test secret.
 */
import { randomBytes, randomInt } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { SqliteSecretSource } from "../../src/secrets/sqlite.js";
import { MIN_DISTINCT_CHARACTERS, weakSecretReason } from "../../src/secrets/validate.js";
import { VaultSecretSource } from "../../src/secrets/vault.js";
import { TEST_SECRET } from "../../src/testing/index.js";
import { randomSecret, useTempDirs } from "../sqlite/helpers.js";
import { startTarget, type VaultTarget } from "../vault/target.js";

const temp = useTempDirs();

/** Long enough (32+ bytes), and weak. */
const WEAK: Record<string, string> = {
  "one character": "x".repeat(40),
  "two characters": "ab".repeat(20),
  "seven distinct characters": `${"abcdefg".repeat(5)}gfedcba`,
  "a repeated 16-character pattern": "0123456789abcdef".repeat(2),
  "a repeated pattern cut short": `${"password1".repeat(4)}pass`,
  "a template phrase": "CHANGE-ME-IN-PRODUCTION-0123456789abcdef",
  "another template phrase": "please-replace_me-with-a-real-value-0123",
  "the public test secret": TEST_SECRET,
};

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, "expected a refusal").toBeInstanceOf(AuthError);
  return outcome as AuthError;
}

describe("weakSecretReason", () => {
  for (const [what, value] of Object.entries(WEAK)) {
    it(`flags ${what}, without quoting it`, () => {
      const reason = weakSecretReason(value);
      expect(reason).toBeDefined();
      expect(reason).not.toContain(value.slice(0, 8));
    });
  }

  it("never flags random secrets (hex, base64, UUID-based)", () => {
    for (let i = 0; i < 500; i += 1) {
      for (const value of [
        randomBytes(32).toString("hex"),
        randomBytes(16).toString("hex"), // 32 characters of 16 symbols: the least variety used
        randomBytes(32).toString("base64"),
        randomSecret(),
        `s-${crypto.randomUUID()}-${crypto.randomUUID()}`.slice(0, 48),
      ]) {
        expect(weakSecretReason(value), value.length.toString()).toBeUndefined();
      }
    }
  });

  it("draws the variety line at exactly MIN_DISTINCT_CHARACTERS", () => {
    // Every letter of the alphabet, then random ones: not periodic, so only variety counts.
    const spread = (alphabet: string) =>
      alphabet + Array.from({ length: 40 }, () => alphabet[randomInt(alphabet.length)]).join("");
    expect(MIN_DISTINCT_CHARACTERS).toBe(8);
    expect(weakSecretReason(spread("abcdefg"))).toMatch(/only 7 distinct/);
    expect(weakSecretReason(spread("abcdefgh"))).toBeUndefined();
  });
});

describe("the provider refuses weak secrets from the stores", () => {
  let target: VaultTarget;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.stop());

  it("from Vault: the public test secret and a long low-variety value", async () => {
    for (const value of [TEST_SECRET, "x".repeat(40)]) {
      const name = `${target.prefix}/weak/${randomBytes(4).toString("hex")}`;
      await target.client().kv().write(name, { value });
      const source = new VaultSecretSource({ client: target.client() });
      const provider = new JwtSecretProvider({ source, name, logger: silentLogger });
      const error = await refusal(provider.getKey());
      expect(error.code).toBe("secret_too_weak");
      expect(error.message).not.toContain(value);
    }
  });

  it("from SQLite: a row written by another tool", async () => {
    const path = join(temp.dir(), "auth.db");
    const source = new SqliteSecretSource({ path });
    temp.onCleanup(() => source.close());
    const raw = new Database(path);
    raw
      .prepare("INSERT INTO secrets (name, version, value, created_at) VALUES (?, 1, ?, ?)")
      .run(SHARED_SECRET_NAME, TEST_SECRET, "2026-01-15T10:30:00.000000");
    raw.close();
    const provider = new JwtSecretProvider({ source, logger: silentLogger });
    expect((await refusal(provider.getKey())).code).toBe("secret_too_weak");
    // The SQLite source will not write one either.
    expect((await refusal(source.write("gofr/config/other", "ab".repeat(20)))).code).toBe(
      "secret_too_weak",
    );
  });

  it("tests opt out explicitly: allowWeakSecrets on the source or the provider", async () => {
    const path = join(temp.dir(), "auth.db");
    const source = new SqliteSecretSource({ path, allowWeakSecrets: true });
    temp.onCleanup(() => source.close());
    await source.write(SHARED_SECRET_NAME, TEST_SECRET);
    const viaSource = new JwtSecretProvider({ source, logger: silentLogger });
    expect(await viaSource.get()).toBe(TEST_SECRET);

    const memory = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: TEST_SECRET },
      allowWeakSecrets: false,
    });
    const strict = new JwtSecretProvider({ source: memory, logger: silentLogger });
    expect((await refusal(strict.getKey())).code).toBe("secret_too_weak");
    const lenient = new JwtSecretProvider({
      source: memory,
      allowWeakSecrets: true,
      logger: silentLogger,
    });
    expect(await lenient.get()).toBe(TEST_SECRET);
  });
});
