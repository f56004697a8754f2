/**
 * EdDSA issuers on the embedded SQLite store: key pairs by version with a retirement floor
 * (schema migration 2), admin functions, a public key reader and a signer. Changes made
 * through another connection (another process) are seen on the next request through
 * `PRAGMA data_version`, without waiting for the cache TTL.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PublicKeySet } from "../../src/eddsa/public-key-set.js";
import { SqliteEdDsaSigner, SqlitePublicKeyReader } from "../../src/eddsa/sqlite.js";
import {
  createEdDsaKey,
  listEdDsaIssuers,
  listEdDsaKeys,
  retireEdDsaKeys,
  rotateEdDsaKey,
} from "../../src/eddsa/sqlite-admin.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { type AuthDatabase, openAuthDatabase } from "../../src/sqlite/database.js";
import { ManualClock } from "../../src/testing/index.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { useTempDirs } from "../sqlite/helpers.js";
import { answerOf, codeOf, SHARED } from "./fleet.js";

const temp = useTempDirs();

/** Two connections to one new file: `admin` (the CLI) and `service` (a running service). */
function twoProcesses() {
  const path = join(temp.dir(), "auth.db");
  const admin = openAuthDatabase({ path });
  const service = openAuthDatabase({ path });
  temp.onCleanup(() => admin.close());
  temp.onCleanup(() => service.close());
  return { admin, service };
}

function serviceOver(database: AuthDatabase, clock: ManualClock) {
  const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: SHARED } });
  const reader = new SqlitePublicKeyReader({ database });
  const publicKeys = new PublicKeySet({ reader, clock: clock.now, logger: silentLogger });
  return new TokenService({
    keyRing: new KeyRing({ source, clock: clock.now, logger: silentLogger }),
    issuerAlgorithms: { deposito: ["EdDSA"] },
    publicKeys,
    eddsaSigner: new SqliteEdDsaSigner({ database }),
    clock: clock.now,
  });
}

describe("EdDSA key admin on SQLite", () => {
  it("create, rotate, retire and list, with fingerprints and the floor", () => {
    const { admin } = twoProcesses();
    const clock = new ManualClock();
    const v1 = createEdDsaKey(admin, "deposito", { clock: clock.now });
    clock.advanceSeconds(10);
    const v2 = rotateEdDsaKey(admin, "deposito", { clock: clock.now });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1.fingerprint).not.toBe(v2.fingerprint);
    const listing = retireEdDsaKeys(admin, "deposito", 2);
    expect(listing).toEqual({
      issuer: "deposito",
      key: "jwt-deposito",
      latest: 2,
      minVersion: 2,
      versions: [
        { ...v1, retired: true },
        { ...v2, retired: false },
      ],
    });
    expect(listEdDsaKeys(admin, "deposito")).toEqual(listing);
    expect(listEdDsaIssuers(admin)).toEqual(["deposito"]);
  });

  it("refuses to create an existing key, and to retire the latest version or beyond", () => {
    const { admin } = twoProcesses();
    createEdDsaKey(admin, "deposito");
    expect(() => createEdDsaKey(admin, "deposito")).toThrow(/exists/);
    expect(() => retireEdDsaKeys(admin, "deposito", 2)).toThrow(/minVersion must be/);
    expect(() => retireEdDsaKeys(admin, "deposito", 0)).toThrow(/minVersion must be/);
    expect(listEdDsaKeys(admin, "deposito").minVersion).toBe(1);
  });

  it("an issuer without a key is secret_unavailable; a name no kid can carry is invalid_input", async () => {
    const { admin } = twoProcesses();
    expect(await codeOf((async () => rotateEdDsaKey(admin, "ghost"))())).toBe("secret_unavailable");
    expect(await codeOf((async () => listEdDsaKeys(admin, "ghost"))())).toBe("secret_unavailable");
    expect(await codeOf((async () => createEdDsaKey(admin, "Not A Label"))())).toBe(
      "invalid_input",
    );
    expect(await codeOf(new SqlitePublicKeyReader({ database: admin }).read("ghost"))).toBe(
      "secret_unavailable",
    );
  });

  it("the reader answers the versions from the floor up, with the listed fingerprints", async () => {
    const { admin } = twoProcesses();
    createEdDsaKey(admin, "deposito");
    rotateEdDsaKey(admin, "deposito");
    rotateEdDsaKey(admin, "deposito");
    retireEdDsaKeys(admin, "deposito", 2);
    const set = new PublicKeySet({ reader: new SqlitePublicKeyReader({ database: admin }) });
    const loaded = await set.get("deposito");
    expect([loaded.latest, loaded.minVersion, [...loaded.keys.keys()]]).toEqual([3, 2, [2, 3]]);
    const listed = listEdDsaKeys(admin, "deposito").versions.slice(1);
    expect([...loaded.keys.values()].map((key) => key.fingerprint)).toEqual(
      listed.map((version) => version.fingerprint),
    );
  });
});

describe("EdDSA tokens over SQLite", () => {
  it("a token minted with the stored private key verifies with the stored public key", async () => {
    const { admin, service } = twoProcesses();
    createEdDsaKey(admin, "deposito");
    const tokens = serviceOver(service, new ManualClock()).forIssuer("deposito");
    const minted = await tokens.mint({ groups: ["public"] });
    expect(minted.kid).toBe("deposito.v1");
    const verified = await tokens.verify(minted.token);
    expect(verified.key.fingerprint).toBe(
      listEdDsaKeys(admin, "deposito").versions[0]?.fingerprint,
    );
  });

  it("a rotation by another process is used by the next mint, and its tokens verify at once", async () => {
    const { admin, service } = twoProcesses();
    createEdDsaKey(admin, "deposito");
    const tokens = serviceOver(service, new ManualClock()).forIssuer("deposito");
    const v1 = await tokens.mint({ groups: ["public"] });
    await tokens.verify(v1.token);
    rotateEdDsaKey(admin, "deposito");
    const v2 = await tokens.mint({ groups: ["public"] });
    expect(v2.kid).toBe("deposito.v2");
    expect(await codeOf(tokens.verify(v2.token))).toBe("resolved");
    expect(await codeOf(tokens.verify(v1.token))).toBe("resolved");
  });

  it("a retirement by another process refuses the old version's tokens on the next request", async () => {
    const { admin, service } = twoProcesses();
    createEdDsaKey(admin, "deposito");
    const tokens = serviceOver(service, new ManualClock()).forIssuer("deposito");
    const v1 = await tokens.mint({ groups: ["public"] });
    expect(await codeOf(tokens.verify(v1.token))).toBe("resolved");
    rotateEdDsaKey(admin, "deposito");
    retireEdDsaKeys(admin, "deposito", 2);
    // The clock stands still: no TTL expired, the file's change counter moved.
    expect(await answerOf(tokens.verify(v1.token))).toBe(
      "token_invalid: The token was signed with key version deposito.v1, which is retired",
    );
    expect((await tokens.mint({ groups: ["public"] })).kid).toBe("deposito.v2");
  });
});
