/**
 * Secret sources at their edges: what is refused rather than guessed, what is never
 * overwritten, and that failures never carry a secret value.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { EnvSecretSource } from "../../src/secrets/env.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import {
  createSecretIfAbsent,
  issuerSecretName,
  type SecretVersion,
  SHARED_SECRET_NAME,
  type WritableSecretSource,
} from "../../src/secrets/source.js";
import { SqliteSecretSource } from "../../src/secrets/sqlite.js";
import { TEST_SECRET } from "../../src/testing/index.js";
import { randomSecret, useTempDirs } from "../sqlite/helpers.js";

const temp = useTempDirs();

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, "expected a refusal").toBeInstanceOf(AuthError);
  return outcome as AuthError;
}

describe("EnvSecretSource", () => {
  const env = {
    JWT_SECRET_KEY: TEST_SECRET,
    JWT_SECRET_DEPOSITO_API: `${TEST_SECRET}-deposito`,
  };

  it("maps an issuer's secret to its variable, punctuation as underscores", async () => {
    const source = new EnvSecretSource({ env });
    expect(EnvSecretSource.variableFor(issuerSecretName("deposito-api"))).toBe(
      "JWT_SECRET_DEPOSITO_API",
    );
    expect((await source.read(issuerSecretName("deposito-api"))).value).toBe(
      env.JWT_SECRET_DEPOSITO_API,
    );
  });

  it("has no variable for other names: secret_unavailable, not another secret", async () => {
    const source = new EnvSecretSource({ env });
    const error = await refusal(source.read("gofr/config/something-else"));
    expect(error.code).toBe("secret_unavailable");
    expect(error.message).not.toContain(TEST_SECRET);
  });

  it("holds version 1 only: a token naming another version cannot verify against it", async () => {
    const source = new EnvSecretSource({ env });
    expect((await source.read(SHARED_SECRET_NAME, 1)).version).toBe(1);
    const error = await refusal(source.read(SHARED_SECRET_NAME, 2));
    expect(error.code).toBe("secret_unavailable");
    expect(error.message).not.toContain(TEST_SECRET);
  });
});

/** A writable source without `writeIfAbsent`, whose reads can be made to fail. */
class PlainSource implements WritableSecretSource {
  readonly description = "plain test source";
  readonly memory = new MemorySecretSource();
  readFailure: AuthError | undefined;
  writes = 0;

  async read(name: string, version?: number): Promise<SecretVersion> {
    if (this.readFailure) throw this.readFailure;
    return this.memory.read(name, version);
  }

  async write(name: string, value: string): Promise<SecretVersion> {
    this.writes += 1;
    return this.memory.write(name, value);
  }
}

describe("createSecretIfAbsent", () => {
  it("never replaces an existing secret, with or without an atomic writeIfAbsent", async () => {
    const memory = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: TEST_SECRET } });
    expect(await createSecretIfAbsent(memory, SHARED_SECRET_NAME, randomSecret())).toBeUndefined();
    expect((await memory.read(SHARED_SECRET_NAME)).value).toBe(TEST_SECRET);

    const plain = new PlainSource();
    plain.memory.set(SHARED_SECRET_NAME, TEST_SECRET);
    expect(await createSecretIfAbsent(plain, SHARED_SECRET_NAME, randomSecret())).toBeUndefined();
    expect(plain.writes).toBe(0);
  });

  it("creates version 1 when the secret is absent", async () => {
    const plain = new PlainSource();
    const value = randomSecret();
    expect((await createSecretIfAbsent(plain, SHARED_SECRET_NAME, value))?.version).toBe(1);
    const memory = new MemorySecretSource();
    expect((await createSecretIfAbsent(memory, SHARED_SECRET_NAME, value))?.version).toBe(1);
    expect((await memory.read(SHARED_SECRET_NAME)).value).toBe(value);
  });

  it("does not write when the store failed to answer: unreachable is not absent", async () => {
    const plain = new PlainSource();
    plain.memory.set(SHARED_SECRET_NAME, TEST_SECRET);
    plain.readFailure = new AuthError("vault_unreachable", "Vault is down");
    const error = await refusal(createSecretIfAbsent(plain, SHARED_SECRET_NAME, randomSecret()));
    expect(error.code).toBe("vault_unreachable");
    expect(plain.writes).toBe(0);
  });
});

describe("MemorySecretSource", () => {
  it("says which version is missing", async () => {
    const memory = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: TEST_SECRET } });
    const error = await refusal(memory.read(SHARED_SECRET_NAME, 3));
    expect(error.code).toBe("secret_unavailable");
    expect(error.message).toContain("version 3");
    expect(error.message).not.toContain(TEST_SECRET);
  });
});

describe("JwtSecretProvider old versions", () => {
  it("keeps at most maxCachedVersions old versions, dropping the oldest first", async () => {
    const source = new MemorySecretSource();
    for (let i = 0; i < 5; i += 1) source.set(SHARED_SECRET_NAME, randomSecret());
    const provider = new JwtSecretProvider({ source, maxCachedVersions: 2, logger: silentLogger });
    await provider.getKey(); // v5, the current one
    for (const version of [1, 2, 3]) await provider.getVersion(version);
    const reads = source.readCount(SHARED_SECRET_NAME);
    await provider.getVersion(3); // kept
    await provider.getVersion(2); // kept
    await provider.getVersion(5); // the current key, never read again
    expect(source.readCount(SHARED_SECRET_NAME)).toBe(reads);
    await provider.getVersion(1); // dropped when 3 came in: read again
    expect(source.readCount(SHARED_SECRET_NAME)).toBe(reads + 1);
  });

  it("wraps a source's raw failure as an outage (store_unavailable), not as not-found", async () => {
    const failing: WritableSecretSource = {
      description: "broken source",
      read: async () => {
        throw new Error(`disk error near ${TEST_SECRET.length} bytes`);
      },
      write: async () => {
        throw new Error("read-only");
      },
    };
    const provider = new JwtSecretProvider({ source: failing, logger: silentLogger });
    const error = await refusal(provider.getVersion(2));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain("broken source");
    expect(error.message).toContain("disk error");
  });
});

describe("SqliteSecretSource", () => {
  it("a row with a malformed created_at is store_unavailable, never the value", async () => {
    const path = join(temp.dir(), "auth.db");
    const source = new SqliteSecretSource({ path });
    temp.onCleanup(() => source.close());
    const value = randomSecret();
    await source.write(SHARED_SECRET_NAME, value);
    const raw = new Database(path);
    raw.prepare("UPDATE secrets SET created_at = 'yesterday'").run();
    raw.close();

    const error = await refusal(source.read(SHARED_SECRET_NAME));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain("created_at");
    expect(error.message).not.toContain(value);
  });

  it("refuses an empty secret name, and closing twice is harmless", async () => {
    const source = new SqliteSecretSource({ path: join(temp.dir(), "auth.db") });
    expect((await refusal(source.read(" "))).code).toBe("invalid_input");
    expect((await refusal(source.write("", randomSecret()))).code).toBe("invalid_input");
    await source.close();
    await source.close();
    expect(source.database.isOpen).toBe(false);
  });
});
