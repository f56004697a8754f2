/**
 * EdDSA issuers from the environment: `<P>_ISSUER_ALGORITHMS` (`issuer=ALG[,ALG];...`,
 * checked with one line per problem) and `<P>_TRANSIT_MOUNT`; `resolveAuthConfig` builds one
 * public key set over the configured backend only when some issuer lists EdDSA, a signer
 * when one mints it, reads the service issuer's EdDSA key at start-up, and hands the key set
 * to the change poller.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAuthEnv } from "../../src/config/env.js";
import { parseIssuerAlgorithms } from "../../src/config/issuer-algorithms.js";
import { type AuthEnabled, resolveAuthConfig } from "../../src/config/resolve.js";
import { createEdDsaKey, rotateEdDsaKey } from "../../src/eddsa/sqlite-admin.js";
import { createVaultEdDsaKey, rotateVaultEdDsaKey } from "../../src/eddsa/vault-admin.js";
import { silentLogger } from "../../src/log.js";
import { ChangeMarker } from "../../src/propagation/marker.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { openAuthDatabase } from "../../src/sqlite/database.js";
import { ManualClock } from "../../src/testing/clock.js";
import { ManualTimers, VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { VaultTransit } from "../../src/vault/transit.js";
import { useTempDirs } from "../sqlite/helpers.js";
import { randomSecret, rejection } from "../vault/helpers.js";

const temp = useTempDirs();

/** The `config_invalid` message lines of `readAuthEnv` for these variables. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    readAuthEnv("GOFR_SVC", env);
  } catch (error) {
    return (error as { details: { problems: string[] } }).details.problems;
  }
  return [];
}

describe("<P>_ISSUER_ALGORITHMS", () => {
  it("is issuer=ALG[,ALG] separated by ';', spaces and the spelling's case aside", () => {
    const env = readAuthEnv("GOFR_SVC", {
      GOFR_SVC_ISSUER_ALGORITHMS: " deposito = EdDSA, HS256 ; agent-x=eddsa; billing=hs256 ;",
    });
    expect(env.issuerAlgorithms).toEqual({
      deposito: ["EdDSA", "HS256"],
      "agent-x": ["EdDSA"],
      billing: ["HS256"],
    });
  });

  it("unset, every issuer stays HS256 only (no list at all)", () => {
    expect(readAuthEnv("GOFR_SVC", {}).issuerAlgorithms).toBeUndefined();
    expect(readAuthEnv("GOFR_SVC", { GOFR_SVC_ISSUER_ALGORITHMS: " " }).issuerAlgorithms).toBe(
      undefined,
    );
  });

  const refused: Array<[string, string, string]> = [
    ["an entry without '='", "deposito:EdDSA", '"deposito:EdDSA" is not issuer=ALG[,ALG]'],
    ["an unknown algorithm", "deposito=RS256", `'deposito': "RS256" is not HS256 or EdDSA`],
    ["an empty list", "deposito=", `'deposito': "" is not HS256 or EdDSA`],
    ["a repeated algorithm", "deposito=EdDSA,eddsa", "'deposito' lists EdDSA twice"],
    ["an issuer listed twice", "a=EdDSA;a=HS256", "issuer 'a' is listed twice"],
    [
      "an issuer no kid can name",
      "Deposito=EdDSA",
      '"Deposito=EdDSA": the issuer must be a lower-case name (a-z 0-9 _ -, at most 64)',
    ],
    [
      "EdDSA for the shared key",
      "shared=EdDSA",
      "'shared' (the shared HMAC key) can only be HS256",
    ],
    ["separators only", ";;", "lists no issuer"],
  ];
  for (const [what, value, problem] of refused) {
    it(`refuses ${what}, naming the variable, the problem and an example`, () => {
      expect(problemsOf({ GOFR_SVC_ISSUER_ALGORITHMS: value })).toEqual([
        `GOFR_SVC_ISSUER_ALGORITHMS: ${problem} (got ${JSON.stringify(value)}); e.g. deposito=EdDSA,HS256;agent-x=EdDSA (per issuer; the first algorithm is what it mints)`,
      ]);
    });
  }

  it("reports every bad entry at once", () => {
    const parsed = parseIssuerAlgorithms("a=RS256;b;c=EdDSA");
    expect(parsed).toEqual({
      ok: false,
      problems: [`'a': "RS256" is not HS256 or EdDSA`, '"b" is not issuer=ALG[,ALG]'],
    });
  });
});

describe("<P>_TRANSIT_MOUNT", () => {
  it("defaults to transit and takes a mount path", () => {
    expect(readAuthEnv("GOFR_SVC", {}).transitMount).toBe("transit");
    expect(readAuthEnv("GOFR_SVC", { GOFR_SVC_TRANSIT_MOUNT: "keys/eddsa" }).transitMount).toBe(
      "keys/eddsa",
    );
    expect(problemsOf({ GOFR_SVC_TRANSIT_MOUNT: "/transit/" })[0]).toMatch(
      /^GOFR_SVC_TRANSIT_MOUNT: must be a KV path without leading or trailing '\/'/,
    );
  });
});

describe("resolveAuthConfig on the embedded store", () => {
  async function plane(env: Record<string, string>, checkSecret = true): Promise<AuthEnabled> {
    const resolved = await resolveAuthConfig({
      envPrefix: "GOFR_SVC",
      env,
      logger: silentLogger,
      checkSecret,
    });
    if (!resolved.authEnabled) throw new Error("expected auth");
    temp.onCleanup(() => resolved.close());
    return resolved;
  }

  function storeWithKey() {
    const path = join(temp.dir(), "auth.db");
    const admin = openAuthDatabase({ path });
    temp.onCleanup(() => admin.close());
    createEdDsaKey(admin, "deposito");
    return { path, admin };
  }

  it("no issuer lists EdDSA: no public key set", async () => {
    const { path } = storeWithKey();
    const resolved = await plane(
      {
        GOFR_SVC_AUTH_STORE: path,
        GOFR_SVC_ISSUER_ALGORITHMS: "billing=HS256",
        GOFR_SVC_ISSUER: "billing",
      },
      false,
    );
    await resolved.secretSource.write(SHARED_SECRET_NAME, randomSecret());
    expect(resolved.publicKeys).toBeUndefined();
    expect(resolved.eddsaIssuers).toEqual([]);
    const minted = await resolved.auth.forIssuer("deposito").tokens.mint({ groups: ["public"] });
    expect(minted.kid).toMatch(/^shared\.v/);
  });

  it("an issuer minting EdDSA mints and verifies on the file's keys; rotations made by another process are seen on the next request", async () => {
    const { path, admin } = storeWithKey();
    const resolved = await plane({
      GOFR_SVC_AUTH_STORE: path,
      GOFR_SVC_ISSUER_ALGORITHMS: "deposito=EdDSA,HS256;agent-x=HS256,EdDSA;billing=HS256",
      GOFR_SVC_ISSUER: "deposito",
    });
    expect(resolved.eddsaIssuers).toEqual(["deposito", "agent-x"]);
    expect(resolved.publicKeys?.reader.description).toBe(`sqlite ${path}`);
    await resolved.auth.groups.ensureReservedGroups();
    const first = await resolved.auth.createToken({ groups: ["public"] });
    expect(first.kid).toBe("deposito.v1");
    expect((await resolved.auth.verifyToken(first.token)).keyId).toBe("deposito.v1");

    rotateEdDsaKey(admin, "deposito");
    const second = await resolved.auth.createToken({ groups: ["public"] });
    expect(second.kid).toBe("deposito.v2");
    expect((await resolved.auth.verifyToken(second.token)).keyId).toBe("deposito.v2");
  });

  it("start-up reads the service issuer's EdDSA key: without one it fails secret_unavailable", async () => {
    const path = join(temp.dir(), "auth.db");
    const error = await rejection(
      resolveAuthConfig({
        envPrefix: "GOFR_SVC",
        env: {
          GOFR_SVC_AUTH_STORE: path,
          GOFR_SVC_ISSUER_ALGORITHMS: "deposito=EdDSA",
          GOFR_SVC_ISSUER: "deposito",
        },
        logger: silentLogger,
      }),
    );
    expect(error.code).toBe("secret_unavailable");
    expect(error.message).toMatch(/^No EdDSA key 'jwt-deposito' in /);
  });
});

describe("resolveAuthConfig on Vault", () => {
  it("reads keys from <P>_TRANSIT_MOUNT, and its change poller follows them", async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const double = new VaultDouble({ clock: clock.now });
    const url = await double.start();
    double.mountTransit("eddsa-keys");
    const client = new VaultClient({
      address: url,
      auth: { method: "token", token: double.rootToken },
      logger: silentLogger,
    });
    const admin = {
      transit: new VaultTransit(client, "eddsa-keys"),
      changes: new ChangeMarker({ kv: client.kv(), pathPrefix: "gofr/auth" }),
    };
    const closing: Array<() => Promise<void>> = [() => double.close(), () => client.close()];
    try {
      await createVaultEdDsaKey(admin, "deposito");
      const env = {
        GOFR_SVC_VAULT_URL: url,
        GOFR_SVC_VAULT_TOKEN: double.rootToken,
        GOFR_SVC_ISSUER_ALGORITHMS: "deposito=EdDSA",
        GOFR_SVC_ISSUER: "deposito",
        GOFR_SVC_TRANSIT_MOUNT: "eddsa-keys",
      };
      const resolved = await resolveAuthConfig({
        envPrefix: "GOFR_SVC",
        env,
        logger: silentLogger,
        clock: clock.now,
        timers,
      });
      if (!resolved.authEnabled) throw new Error("expected auth");
      closing.unshift(() => resolved.close());
      const keyReads = () =>
        double.countRequests({ method: "GET", path: "/v1/eddsa-keys/keys/jwt-deposito" });
      expect(keyReads()).toBe(1); // the start-up check
      expect(resolved.publicKeys?.reader.description).toBe("Vault transit mount 'eddsa-keys'");
      const minted = await resolved.auth.tokens.mint({ groups: ["public"] });
      expect(minted.kid).toBe("deposito.v1");
      expect((await resolved.auth.tokens.verify(minted.token)).key.algorithm).toBe("EdDSA");

      await rotateVaultEdDsaKey(admin, "deposito");
      await timers.advance(2_000); // <P>_PROPAGATION_SECONDS default
      expect(resolved.publicKeys?.current("deposito")?.latest).toBe(2);
      expect(keyReads()).toBe(2);
      expect((await resolved.auth.tokens.mint({ groups: ["public"] })).kid).toBe("deposito.v2");
    } finally {
      for (const close of closing) await close();
    }
  });
});
