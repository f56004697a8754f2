import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { fingerprint } from "../../src/secrets/fingerprint.js";
import { JwtSecretProvider, type SecretRotatedEvent } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { SqliteSecretSource } from "../../src/secrets/sqlite.js";
import { ManualClock } from "../../src/testing/clock.js";
import { randomSecret, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const NAME = SHARED_SECRET_NAME;

function openSource(path: string, clock?: ManualClock): SqliteSecretSource {
  const source = new SqliteSecretSource({ path, clock: clock?.now });
  temp.onCleanup(() => source.close());
  return source;
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe("SqliteSecretSource", () => {
  it("appends versions per name, stamped by the clock, readable latest or by version", async () => {
    const clock = new ManualClock();
    const source = openSource(join(temp.dir(), "auth.db"), clock);
    const values = [randomSecret(), randomSecret(), randomSecret()];
    const written = [];
    for (const value of values) {
      written.push(await source.write(NAME, value));
      clock.advanceSeconds(60);
    }
    const other = await source.write("gofr/config/jwt-signing-secrets/dig", randomSecret());

    const start = Date.UTC(2026, 0, 15, 10, 30, 0);
    expect(written.map((entry) => entry.version)).toEqual([1, 2, 3]);
    expect(written.map((entry) => entry.createdAt.getTime())).toEqual([
      start,
      start + 60_000,
      start + 120_000,
    ]);
    expect(other.version).toBe(1);
    expect(await source.read(NAME)).toEqual(written[2]);
    expect(await source.read(NAME, 1)).toEqual({ ...written[0], value: values[0] });
    expect((await source.read(NAME, 2)).value).toBe(values[1]);
    expect((await source.read(NAME)).createdAt).toBeInstanceOf(Date);
  });

  it("rejects a missing name or version with secret_unavailable naming it and the file", async () => {
    const path = join(temp.dir(), "auth.db");
    const source = openSource(path);
    const missing = await rejection(source.read(NAME));
    expect(missing.code).toBe("secret_unavailable");
    expect(missing.message).toContain(NAME);
    expect(missing.message).toContain(path);
    expect(missing.hint).toContain("gofr-auth init");

    const value = randomSecret();
    await source.write(NAME, value);
    const noVersion = await rejection(source.read(NAME, 7));
    expect(noVersion.code).toBe("secret_unavailable");
    expect(noVersion.message).toContain("version 7");
    expect(noVersion.message).not.toContain(value);
    expect((await rejection(source.read(NAME, 0))).code).toBe("invalid_input");
  });

  it("writeIfAbsent writes version 1 once and never overwrites", async () => {
    const path = join(temp.dir(), "auth.db");
    const source = openSource(path);
    const other = openSource(path); // e.g. a second `init` in another process
    const first = randomSecret();
    const created = await source.writeIfAbsent(NAME, first);
    expect(created).toMatchObject({ value: first, version: 1 });

    expect(await other.writeIfAbsent(NAME, randomSecret())).toBeUndefined();
    expect(await source.writeIfAbsent(NAME, randomSecret())).toBeUndefined();
    expect(await source.read(NAME)).toMatchObject({ value: first, version: 1 });
    // A rotated secret is not overwritten either.
    const rotated = randomSecret();
    await source.write(NAME, rotated);
    expect(await other.writeIfAbsent(NAME, randomSecret())).toBeUndefined();
    expect(await source.read(NAME)).toMatchObject({ value: rotated, version: 2 });
  });

  it("refuses weak secrets without storing them or putting them in the message", async () => {
    const source = openSource(join(temp.dir(), "auth.db"));
    const weak = "short-secret-value";
    for (const write of [source.write(NAME, weak), source.writeIfAbsent(NAME, weak)]) {
      const error = await rejection(write);
      expect(error.code).toBe("secret_too_weak");
      expect(error.message).not.toContain(weak);
    }
    expect((await rejection(source.read(NAME))).code).toBe("secret_unavailable");
  });

  it("describes itself by its file", () => {
    const path = join(temp.dir(), "auth.db");
    expect(openSource(path).description).toBe(`sqlite ${path}`);
  });
});

describe("JwtSecretProvider over SqliteSecretSource", () => {
  it("sees a rotation written through another handle on the next read, before the TTL", async () => {
    const path = join(temp.dir(), "auth.db");
    const clock = new ManualClock();
    const service = openSource(path, clock);
    const cli = openSource(path, clock);
    const v1 = randomSecret();
    await cli.write(NAME, v1);
    const provider = new JwtSecretProvider({
      source: service,
      clock: clock.now,
      logger: silentLogger,
    });
    const rotations: SecretRotatedEvent[] = [];
    provider.on("rotated", (event) => rotations.push(event));
    expect(await provider.get()).toBe(v1);

    const v2 = randomSecret();
    clock.advanceSeconds(5);
    await cli.write(NAME, v2);
    // The TTL (300 s) has not passed: the source's generation says the file changed.
    const key = await provider.getKey();
    expect(key.value).toBe(v2);
    expect(key.version).toBe(2);
    expect(key.createdAt.getTime()).toBe(clock.now());
    expect(rotations).toEqual([
      {
        name: NAME,
        oldFingerprint: fingerprint(v1),
        newFingerprint: fingerprint(v2),
        oldVersion: 1,
        newVersion: 2,
      },
    ]);
    expect((await provider.getVersion(1)).value).toBe(v1);
  });
});
