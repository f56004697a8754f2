/**
 * Issue 18: one service calls another with nothing but its own Vault login. The caller
 * (`orders`) logs in with AppRole on the Vault double, fetches `identity/oidc/token/billing`
 * with its own Vault token, and calls the billing service through `createAuthFetch`; billing's
 * AuthService (`vaultIdentity`) accepts it next to our own tokens, through the node:http and
 * Express adapters on loopback. Groups come from the caller's Vault groups (role template
 * `{"groups": {{identity.entity.groups.names}}}`) and count only when billing's registry has
 * them active.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthFetch } from "../../src/adapters/auth-fetch.js";
import { AuthService } from "../../src/auth-service.js";
import { VaultIdentityVerifier } from "../../src/identity/index.js";
import { silentLogger } from "../../src/log.js";
import { createTestAuthService } from "../../src/testing/index.js";
import { harnesses } from "../adapters/support/harness.js";
import type { RunningServer } from "../adapters/support/listen.js";
import { decodePart } from "../support/forge.js";
import {
  BILLING_AUDIENCE,
  type CallerLogin,
  type IdentityPlane,
  ROLES,
  startIdentityPlane,
} from "./identity-plane.js";

interface Answer {
  status: number;
  code?: string;
  auth?: {
    kind: string;
    tokenId: string;
    subject: string;
    issuer: string;
    groups: string[];
    keyId: string;
    expiresAt: string;
  };
}

let plane: IdentityPlane;
let orders: CallerLogin;
let opsCaller: CallerLogin;
let verifier: VaultIdentityVerifier;
/** Billing: our tokens and Vault identity tokens for `billing-api`. */
let billing: AuthService;
/** Same store and secret as billing, without `vaultIdentity`. */
let plain: AuthService;
let ourToken: string;

beforeAll(async () => {
  plane = await startIdentityPlane();
  // "Platform Team" cannot be one of our group names; "vault-only" is not registered with
  // billing; "retired" is, but defunct.
  orders = await plane.caller("orders", [
    "billing-readers",
    "vault-only",
    "retired",
    "Platform Team",
  ]);
  opsCaller = await plane.caller("ops", ["billing-readers", "admin"]);
  verifier = new VaultIdentityVerifier({
    vaultUrl: plane.url,
    issuer: plane.issuer,
    audience: BILLING_AUDIENCE,
    groupsFrom: { claim: "groups" },
  });
  const test = createTestAuthService({ vaultIdentity: verifier });
  billing = test.auth;
  for (const name of ["billing-readers", "billing-admins", "retired"]) {
    await billing.groups.create(name);
  }
  await billing.groups.makeDefunct("retired");
  plain = new AuthService({
    store: test.store,
    secretProvider: test.provider,
    logger: silentLogger,
  });
  ourToken = (await billing.createToken({ groups: ["billing-readers"], name: "cron" })).token;
});

afterAll(async () => {
  await verifier?.close();
  await plane?.close();
});

async function answerOf(response: Response): Promise<Answer> {
  const body = (await response.json()) as { code?: string; auth?: Answer["auth"] };
  return { status: response.status, code: body.code, auth: body.auth };
}

function get(url: string, token: string): Promise<Answer> {
  return fetch(`${url}/r`, { headers: { authorization: `Bearer ${token}` } }).then(answerOf);
}

for (const harness of harnesses.filter((item) => ["node", "express"].includes(item.name))) {
  describe(`the ${harness.name} adapter with Vault identity tokens`, () => {
    let readers: RunningServer;
    let admins: RunningServer;
    let without: RunningServer;

    beforeAll(async () => {
      readers = await harness.start({ auth: billing, groups: ["billing-readers"] });
      admins = await harness.start({ auth: billing, groups: ["billing-admins"] });
      without = await harness.start({ auth: plain });
    });

    afterAll(async () => {
      await Promise.all([readers, admins, without].map((server) => server?.close()));
    });

    it("accepts a caller's token fetched with its own AppRole login; groups mapped through the registry", async () => {
      const sent: string[] = [];
      const call = createAuthFetch({
        tokenSource: async () => {
          sent.push(await orders.identityToken(ROLES.billing));
          return sent.at(-1) as string;
        },
        allowedOrigins: [readers.url],
      });
      const answer = await answerOf(await call(`${readers.url}/r`));
      expect(answer.status).toBe(200);
      const claims = decodePart(sent[0] as string, 1);
      const iat = claims.iat as number;
      expect([...(claims.groups as string[])].sort()).toEqual(
        ["Platform Team", "billing-readers", "retired", "vault-only"].sort(),
      );
      expect(answer.auth).toMatchObject({
        kind: "vault-identity",
        subject: orders.entityId,
        issuer: plane.issuer,
        tokenId: `vault-identity:${orders.entityId}:${iat}`,
        keyId: decodePart(sent[0] as string, 0).kid,
      });
      // Unknown, defunct and un-nameable Vault groups grant nothing; `public` is always there.
      expect([...(answer.auth?.groups ?? [])].sort()).toEqual(["billing-readers", "public"]);
    });

    it("still accepts its own tokens on the same route, as kind gofr-auth", async () => {
      const answer = await get(readers.url, ourToken);
      expect(answer.status).toBe(200);
      expect(answer.auth).toMatchObject({ kind: "gofr-auth", issuer: "gofr-auth" });
    });

    it("answers 403 when the caller's mapped groups lack the route's group", async () => {
      const answer = await get(admins.url, await orders.identityToken());
      expect(answer).toMatchObject({ status: 403, code: "insufficient_groups" });
    });

    it("refuses a token of a role with another audience (401 audience_mismatch)", async () => {
      const answer = await get(readers.url, await orders.identityToken(ROLES.elsewhere));
      expect(answer).toMatchObject({ status: 401, code: "audience_mismatch" });
    });

    it("refuses a Vault group that maps to admin: Vault's issuer is not an admin issuer (401)", async () => {
      const answer = await get(readers.url, await opsCaller.identityToken());
      expect(answer).toMatchObject({ status: 401, code: "issuer_untrusted" });
    });

    it("answers 503 while Vault's keys cannot be read: it fails closed", async () => {
      const cold = new VaultIdentityVerifier({
        vaultUrl: plane.url,
        issuer: plane.issuer,
        audience: BILLING_AUDIENCE,
      });
      const { auth } = createTestAuthService({ vaultIdentity: cold });
      const server = await harness.start({ auth });
      try {
        const token = await orders.identityToken();
        plane.vault.failNext(1, 503, { match: { path: "/v1/identity/oidc/.well-known/keys" } });
        const response = await fetch(`${server.url}/r`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.status).toBe(503);
        expect(response.headers.get("retry-after")).not.toBeNull();
        expect(((await response.json()) as { code: string }).code).toBe("vault_unreachable");
        expect((await get(server.url, token)).status).toBe(200); // Vault is back
      } finally {
        await server.close();
        await cold.close();
      }
    });

    it("refuses Vault identity tokens on a service without the option (401), ours still pass", async () => {
      const refused = await get(without.url, await orders.identityToken());
      expect(refused).toMatchObject({ status: 401, code: "token_invalid" });
      expect((await get(without.url, ourToken)).status).toBe(200);
    });
  });
}

describe("AuthService with vaultIdentity", () => {
  it("lets adminIssuers name Vault's issuer, like any issuer's", async () => {
    const { auth } = createTestAuthService({
      vaultIdentity: verifier,
      adminIssuers: [plane.issuer],
    });
    await auth.groups.create("billing-readers");
    const context = await auth.verifyToken(await opsCaller.identityToken());
    expect([...context.groups].sort()).toEqual(["admin", "billing-readers", "public"]);
    expect(context.kind).toBe("vault-identity");
  });

  it("resolveTokenGroups gives a Vault identity's registered groups", async () => {
    const groups = await billing.resolveTokenGroups(await orders.identityToken());
    expect(groups.map((group) => group.name).sort()).toEqual(["billing-readers", "public"]);
  });

  it("cannot revoke a Vault identity token (it is not in the store)", async () => {
    const error = await billing.revokeToken(await orders.identityToken()).then(
      () => undefined,
      (failure: unknown) => failure as { code?: string },
    );
    expect(error?.code).toBe("token_invalid");
  });
});
