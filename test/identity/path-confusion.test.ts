/**
 * Which verifier a token gets is chosen from its unverified `iss` (exactly Vault's identity
 * issuer: Vault's keys; anything else: ours), never from its algorithm: our own tokens are
 * EdDSA too (kid `<issuer>.v<N>`), and so can Vault's be. Each path verifies with its own
 * keys and pinned algorithms, so no token can pick a weaker one: a token naming Vault's
 * issuer but signed with our HS256 secret or our EdDSA key is refused, and so is a token
 * Vault signed, whole or with its signature moved onto our shape. Served by the node:http
 * and Express adapters on loopback, with direct calls where the refusal's reason matters.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import { MemoryEdDsaKeys } from "../../src/eddsa/memory.js";
import { PublicKeySet } from "../../src/eddsa/public-key-set.js";
import { namesIssuer } from "../../src/identity/auth-path.js";
import { VaultIdentityVerifier } from "../../src/identity/index.js";
import { silentLogger } from "../../src/log.js";
import { createTestAuthService } from "../../src/testing/index.js";
import { harnesses } from "../adapters/support/harness.js";
import type { RunningServer } from "../adapters/support/listen.js";
import { decodePart } from "../support/forge.js";
import { rejection } from "../vault/helpers.js";
import {
  BILLING_AUDIENCE,
  type CallerLogin,
  type IdentityPlane,
  ROLES,
  startIdentityPlane,
} from "./identity-plane.js";

let plane: IdentityPlane;
let caller: CallerLogin;
const verifiers: VaultIdentityVerifier[] = [];
/** `orders`' EdDSA key pair: our issuer's own key. */
let ordersKey: KeyObject;
/** Ours (HS256, and EdDSA for `orders`) plus Vault identity tokens, RS256 only. */
let billing: AuthService;
/** The same, but Vault identity keys may be RS256 or EdDSA. */
let billingEd: AuthService;
/** The same store and keys, without `vaultIdentity`. */
let plain: AuthService;
/** An EdDSA token of ours, minted as `orders`. */
let ordersToken: string;

function verifier(algorithms: ("RS256" | "EdDSA")[]): VaultIdentityVerifier {
  const created = new VaultIdentityVerifier({
    vaultUrl: plane.url,
    issuer: plane.issuer,
    audience: BILLING_AUDIENCE,
    algorithms,
    groupsFrom: { claim: "groups" },
  });
  verifiers.push(created);
  return created;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An EdDSA JWS of `header` and `payload` signed with `key` (node:crypto, no JWT library). */
function signEdDsa(header: object, payload: object, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString("base64url")}`;
}

beforeAll(async () => {
  plane = await startIdentityPlane();
  caller = await plane.caller("orders", ["billing-readers"]);
  const pair = generateKeyPairSync("ed25519");
  ordersKey = pair.privateKey;
  const keys = new MemoryEdDsaKeys();
  keys.create("orders", pair);
  const eddsa = {
    issuerAlgorithms: { orders: ["EdDSA" as const] },
    publicKeys: new PublicKeySet({ reader: keys, logger: silentLogger }),
    eddsaSigner: keys,
  };
  const test = createTestAuthService({ ...eddsa, vaultIdentity: verifier(["RS256"]) });
  billing = test.auth;
  await billing.groups.create("billing-readers");
  const shared = { store: test.store, secretProvider: test.provider, logger: silentLogger };
  billingEd = new AuthService({ ...shared, ...eddsa, vaultIdentity: verifier(["RS256", "EdDSA"]) });
  plain = new AuthService({ ...shared, ...eddsa });
  ordersToken = (await billing.forIssuer("orders").createToken({ groups: ["billing-readers"] }))
    .token;
});

afterAll(async () => {
  await Promise.all(verifiers.map((item) => item.close()));
  await plane?.close();
});

for (const harness of harnesses.filter((item) => ["node", "express"].includes(item.name))) {
  describe(`the ${harness.name} adapter routes by issuer, not by algorithm`, () => {
    let withIdentity: RunningServer;
    let without: RunningServer;

    beforeAll(async () => {
      withIdentity = await harness.start({ auth: billing });
      without = await harness.start({ auth: plain });
    });

    afterAll(async () => {
      await Promise.all([withIdentity, without].map((server) => server?.close()));
    });

    const get = async (server: RunningServer, token: string) => {
      const response = await fetch(`${server.url}/r`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await response.json()) as { code?: string; auth?: { kind: string } };
      return { status: response.status, code: body.code, kind: body.auth?.kind };
    };

    it("accepts our own EdDSA tokens and Vault's RS256 ones side by side", async () => {
      expect(await get(withIdentity, ordersToken)).toMatchObject({
        status: 200,
        kind: "gofr-auth",
      });
      const vaultToken = await caller.identityToken(ROLES.billing);
      expect(await get(withIdentity, vaultToken)).toMatchObject({
        status: 200,
        kind: "vault-identity",
      });
    });

    it("refuses a token naming Vault's issuer signed with our HS256 secret, which our path alone accepts", async () => {
      const minted = await billing
        .forIssuer(plane.issuer)
        .createToken({ groups: ["billing-readers"], subject: caller.entityId });
      expect(await get(without, minted.token)).toMatchObject({ status: 200, kind: "gofr-auth" });
      expect(await get(withIdentity, minted.token)).toMatchObject({
        status: 401,
        code: "token_invalid",
      });
    });

    it("refuses a token naming Vault's issuer signed with our EdDSA key", async () => {
      const now = Math.floor(Date.now() / 1000);
      const forged = signEdDsa(
        { alg: "EdDSA", typ: "JWT", kid: "orders.v1" },
        {
          iss: plane.issuer,
          sub: caller.entityId,
          aud: BILLING_AUDIENCE,
          iat: now,
          exp: now + 600,
        },
        ordersKey,
      );
      expect(await get(withIdentity, forged)).toMatchObject({ status: 401, code: "token_invalid" });
    });

    it("refuses Vault-signed tokens on our path: RS256, and EdDSA with Vault's key IDs", async () => {
      const rs256 = await caller.identityToken(ROLES.billing);
      const eddsa = await caller.identityToken(ROLES.billingEd);
      expect(decodePart(eddsa, 0).alg).toBe("EdDSA");
      for (const token of [rs256, eddsa]) {
        expect(await get(without, token)).toMatchObject({ status: 401, code: "token_invalid" });
      }
      // With the identity verifier pinned to RS256, an EdDSA Vault token does not fall back
      // to our EdDSA verification.
      expect(await get(withIdentity, eddsa)).toMatchObject({ status: 401, code: "token_invalid" });
    });

    it("refuses Vault's EdDSA signature moved onto one of our tokens", async () => {
      const vaultSignature = (await caller.identityToken(ROLES.billingEd)).split(".")[2];
      const [header, payload] = ordersToken.split(".");
      const spliced = `${header}.${payload}.${vaultSignature}`;
      expect(await get(withIdentity, spliced)).toMatchObject({
        status: 401,
        code: "token_invalid",
      });
    });
  });
}

describe("why each confused token is refused", () => {
  it("our HS256 token naming Vault's issuer meets Vault's pinned algorithms", async () => {
    const minted = await billing
      .forIssuer(plane.issuer)
      .createToken({ groups: ["billing-readers"] });
    const error = await rejection(billing.verifyToken(minted.token));
    expect(error.details.joseCode).toBe("ERR_JOSE_ALG_NOT_ALLOWED");
  });

  it("our EdDSA key is not among Vault's keys, even where Vault's keys may be EdDSA", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: plane.issuer, sub: caller.entityId, aud: BILLING_AUDIENCE, iat: now };
    const forged = signEdDsa(
      { alg: "EdDSA", kid: "orders.v1" },
      { ...claims, exp: now + 600 },
      ordersKey,
    );
    const error = await rejection(billingEd.verifyToken(forged));
    expect(error.code).toBe("token_invalid");
    expect(error.details.joseCode).toBe("ERR_JWKS_NO_MATCHING_KEY");
    // The control: a Vault EdDSA token passes there.
    const context = await billingEd.verifyToken(await caller.identityToken(ROLES.billingEd));
    expect(context.kind).toBe("vault-identity");
  });

  it("a Vault EdDSA token fails our header check: its kid is not <issuer>.v<N>", async () => {
    const error = await rejection(plain.verifyToken(await caller.identityToken(ROLES.billingEd)));
    expect(error.message).toContain("kid of the form <issuer>.v<version>");
  });

  it("a Vault role template cannot borrow one of our records: its jti is ignored", async () => {
    const record = (await billing.createToken({ groups: ["billing-readers"], name: "victim" }))
      .record;
    const template = `{"groups": {{identity.entity.groups.names}}, "jti": "${record.id}", "name": "victim"}`;
    await plane.root(`identity/oidc/role/${ROLES.billing}-jti`, {
      key: "svc",
      ttl: "15m",
      client_id: BILLING_AUDIENCE,
      template,
    });
    const token = await caller.identityToken(`${ROLES.billing}-jti`);
    expect(decodePart(token, 1).jti).toBe(record.id);
    const context = await billing.verifyToken(token);
    expect(context.kind).toBe("vault-identity");
    expect(context.tokenId).toMatch(new RegExp(`^vault-identity:${caller.entityId}:\\d+$`));
    expect(context.tokenId).not.toBe(record.id);
    await rejection(plain.verifyToken(token));
  });
});

describe("namesIssuer, the route", () => {
  const issuer = "https://vault.internal:8200/v1/identity/oidc";
  const token = (payload: unknown) => `${b64({ alg: "RS256" })}.${b64(payload)}.sig`;

  it("is an exact match of the unverified iss", () => {
    expect(namesIssuer(token({ iss: issuer }), issuer)).toBe(true);
    for (const other of [
      `${issuer}/`,
      issuer.toUpperCase(),
      "https://vault.internal:8200",
      "gofr-auth",
    ]) {
      expect(namesIssuer(token({ iss: other }), issuer), other).toBe(false);
    }
  });

  it("is false, never a throw, for anything it cannot read", () => {
    for (const value of [
      "",
      "no-dots",
      `${b64({})}.!!!.sig`,
      token([issuer]),
      token({ iss: [issuer] }),
      token(null),
      `${token({ iss: issuer })}${"x".repeat(70_000)}`,
      undefined,
    ]) {
      expect(namesIssuer(value, issuer)).toBe(false);
    }
  });
});
