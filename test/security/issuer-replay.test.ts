/**
 * Issue 14 item 1: a per-issuer key must not replay another issuer's token records. Token
 * ids are not secret (they are logged, listed, put in `jti`), so whoever holds deposito's
 * own key could sign `iss: deposito` with the `jti` and groups of the operator's admin
 * record, and the store check (record exists, active, same groups) passed: 200 on
 * `/admin/ping`. Two independent defences now refuse it:
 *
 * - the issuer policy: only the operator issuer (`gofr-auth`) may grant `admin`, unless
 *   `adminIssuers` says otherwise (`issuer_untrusted`, statelessly too);
 * - the record binding: a record names the issuer and key label that minted it, and the
 *   store-checked verify refuses a token with another `iss` or key (`RECORD_MISMATCH_CODE`).
 */
import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { requireAuth } from "../../src/adapters/node.js";
import { AuthService } from "../../src/auth-service.js";
import type { AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { ManualClock } from "../../src/testing/index.js";
import type { TokenRecord } from "../../src/tokens/record.js";
import { listen, type RunningServer } from "../adapters/support/listen.js";
import { forgeToken } from "../support/forge.js";

const SHARED = "shared-secret-for-the-whole-fleet-0123456789";
const DEPOSITO = "deposito-own-secret-0123456789-abcdefghijkl";
const NEGOCIO = "negocio-own-secret-0123456789-abcdefghijklm";

async function fleet(options: { adminIssuers?: string[] } = {}) {
  const clock = new ManualClock();
  const source = new MemorySecretSource({
    secrets: {
      [SHARED_SECRET_NAME]: SHARED,
      [issuerSecretName("deposito")]: DEPOSITO,
      [issuerSecretName("negocio")]: NEGOCIO,
    },
    clock: clock.now,
  });
  const store = new MemoryAuthStore();
  const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
  const auth = new AuthService({
    store,
    keyRing,
    clock: clock.now,
    logger: silentLogger,
    adminIssuers: options.adminIssuers,
  });
  await auth.groups.create("finance");
  const now = Math.floor(clock.now() / 1000);
  /** A token for `record`'s id and groups, signed by whoever holds `secret`. */
  const replay = (record: TokenRecord, kid: string, secret: string, iss?: string) =>
    forgeToken(
      { alg: "HS256", typ: "JWT", kid },
      {
        jti: record.id,
        groups: record.groups,
        iat: now,
        nbf: now,
        exp: now + 600,
        aud: "gofr-api",
        ...(iss === undefined ? {} : { iss }),
      },
      secret,
    );
  return { auth, store, replay };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

async function messageOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "resolved",
    (error: Error) => error.message,
  );
}

describe("a per-issuer key replaying another record", () => {
  it("records name the issuer and key label that minted them", async () => {
    const { auth } = await fleet();
    const operator = await auth.createToken({ groups: ["admin"] });
    const deposito = await auth.forIssuer("deposito").createToken({ groups: ["finance"] });
    const bodega = await auth.forIssuer("bodega").createToken({ groups: ["finance"] });
    expect(await auth.getToken(operator.record.id)).toMatchObject({
      issuer: "gofr-auth",
      keyLabel: "shared",
    });
    expect(await auth.getToken(deposito.record.id)).toMatchObject({
      issuer: "deposito",
      keyLabel: "deposito",
    });
    // No own key: bodega signs with the shared one, and its record says so.
    expect(await auth.getToken(bodega.record.id)).toMatchObject({
      issuer: "bodega",
      keyLabel: "shared",
    });
    for (const minted of [operator, deposito, bodega]) {
      expect(await codeOf(auth.verifyToken(minted.token))).toBe("resolved");
    }
  });

  it("deposito's key with the admin record's jti and groups: refused (the issue's attack)", async () => {
    const { auth, replay } = await fleet();
    const admin = await auth.createToken({ groups: ["admin"], name: "operator" });
    const attack = replay(admin.record, "deposito.v1", DEPOSITO, "deposito");
    expect(await codeOf(auth.verifyToken(attack))).toBe("issuer_untrusted");
    expect(await codeOf(auth.verifyToken(attack, { stateless: true }))).toBe("issuer_untrusted");
  });

  it("even where deposito may grant admin, the record binding refuses the replay", async () => {
    const { auth, replay } = await fleet({ adminIssuers: ["gofr-auth", "deposito"] });
    const admin = await auth.createToken({ groups: ["admin"] });
    const attack = replay(admin.record, "deposito.v1", DEPOSITO, "deposito");
    expect(await codeOf(auth.verifyToken(attack))).toBe("token_issuer_mismatch");
    expect(await messageOf(auth.verifyToken(attack))).toContain(
      "signed with the 'deposito' key, its record with the 'shared' key",
    );
  });

  it("replaying a non-admin record of another issuer (own key or shared) is refused", async () => {
    const { auth, replay } = await fleet();
    const operatorFinance = await auth.createToken({ groups: ["finance"] });
    const negocioFinance = await auth.forIssuer("negocio").createToken({ groups: ["finance"] });
    for (const record of [operatorFinance.record, negocioFinance.record]) {
      const attack = replay(record, "deposito.v1", DEPOSITO, "deposito");
      expect(await codeOf(auth.verifyToken(attack))).toBe("token_issuer_mismatch");
      expect(await messageOf(auth.verifyToken(attack))).toContain("not its record's");
      // Statelessly there is no record to compare with: the signature and claims are fine.
      expect(await codeOf(auth.verifyToken(attack, { stateless: true }))).toBe("resolved");
    }
  });

  it("the shared key cannot reuse a record minted with an issuer's own key, nor change its iss", async () => {
    const { auth, replay } = await fleet();
    const deposito = await auth.forIssuer("deposito").createToken({ groups: ["finance"] });
    const viaShared = replay(deposito.record, "shared.v1", SHARED, "deposito");
    expect(await messageOf(auth.verifyToken(viaShared))).toContain(
      "signed with the 'shared' key, its record with the 'deposito' key",
    );
    const operator = await auth.createToken({ groups: ["finance"] });
    const otherIss = replay(operator.record, "shared.v1", SHARED, "bodega");
    expect(await messageOf(auth.verifyToken(otherIss))).toContain(
      "claims issuer 'bodega', its record was minted by 'gofr-auth'",
    );
    const noIss = replay(operator.record, "shared.v1", SHARED);
    expect(await messageOf(auth.verifyToken(noIss))).toContain("claims issuer '(none)'");
  });

  it("records without issuer fields (Python fleet, older versions) verify with the shared key only", async () => {
    const { auth, store, replay } = await fleet();
    const legacy: TokenRecord = {
      id: "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
      name: null,
      groups: ["finance"],
      status: "active",
      createdAt: new Date(0),
      expiresAt: null,
      revokedAt: null,
      fingerprint: null,
    };
    await store.insertToken(legacy);
    expect(await codeOf(auth.verifyToken(replay(legacy, "shared.v1", SHARED)))).toBe("resolved");
    const python = forgeToken(
      { alg: "HS256", typ: "JWT" },
      { jti: legacy.id, groups: ["finance"], iat: 0, nbf: 0, exp: 4e9, aud: "gofr-api" },
      SHARED,
    );
    expect(await codeOf(auth.verifyToken(python))).toBe("resolved");
    const ownKey = replay(legacy, "deposito.v1", DEPOSITO, "deposito");
    expect(await codeOf(auth.verifyToken(ownKey))).toBe("token_issuer_mismatch");
  });
});

describe("over HTTP: /admin/ping behind the node adapter", () => {
  let server: RunningServer | undefined;
  afterEach(() => server?.close());

  async function ping(adminIssuers?: string[]) {
    const { auth, replay } = await fleet({ adminIssuers });
    const admin = await auth.createToken({ groups: ["admin"] });
    server = await listen(
      createServer(
        requireAuth({ auth, groups: ["admin"], logger: silentLogger }, (_req, res) => {
          res.setHeader("content-type", "application/json");
          res.end('{"pong":true}');
        }),
      ),
    );
    const get = async (token: string) => {
      const response = await fetch(`${server?.url}/admin/ping`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: response.status, code: ((await response.json()) as { code?: string }).code };
    };
    return {
      operator: await get(admin.token),
      attack: await get(replay(admin.record, "deposito.v1", DEPOSITO, "deposito")),
    };
  }

  it("the operator's admin token gets 200; deposito's replay of it gets 401", async () => {
    expect(await ping()).toEqual({
      operator: { status: 200, code: undefined },
      attack: { status: 401, code: "issuer_untrusted" },
    });
  });

  it("with deposito allowed to grant admin, the replay still gets 401", async () => {
    expect(await ping(["gofr-auth", "deposito"])).toEqual({
      operator: { status: 200, code: undefined },
      attack: { status: 401, code: "token_issuer_mismatch" },
    });
  });
});
