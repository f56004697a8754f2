/**
 * `<P>_VAULT_IDENTITY_*`: Vault identity tokens accepted next to ours. `_AUDIENCE` turns it
 * on (and needs `<P>_VAULT_URL`, where the keys are read); `_ISSUER` defaults to Vault's
 * effective issuer for that address and namespace (docs/vault-contract.md row 64),
 * `_ALGORITHMS` to RS256 and `_GROUPS_CLAIM` to `groups`. Every problem is one line naming
 * the variable; `resolveAuthConfig` hands the verifier to the AuthService and closes it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readAuthEnv } from "../../src/config/env.js";
import { resolveAuthConfig } from "../../src/config/resolve.js";
import { silentLogger } from "../../src/log.js";
import {
  BILLING_AUDIENCE,
  type CallerLogin,
  type IdentityPlane,
  ROLES,
  startIdentityPlane,
} from "../identity/identity-plane.js";
import { rejection } from "../vault/helpers.js";

const URL = "https://vault.internal:8200";

/** The `config_invalid` lines of `readAuthEnv` for these variables. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    readAuthEnv("GOFR_SVC", env);
  } catch (error) {
    return (error as { details: { problems: string[] } }).details.problems;
  }
  return [];
}

describe("<P>_VAULT_IDENTITY_* in readAuthEnv", () => {
  it("is off without an audience", () => {
    expect(readAuthEnv("GOFR_SVC", { GOFR_SVC_VAULT_URL: URL }).vaultIdentity).toBeUndefined();
  });

  it("defaults the issuer to <VAULT_URL>/v1/[<namespace>/]identity/oidc, RS256 and the groups claim", () => {
    const on = { GOFR_SVC_VAULT_URL: `${URL}/`, GOFR_SVC_VAULT_IDENTITY_AUDIENCE: " billing-api " };
    expect(readAuthEnv("GOFR_SVC", on).vaultIdentity).toEqual({
      audience: "billing-api",
      issuer: `${URL}/v1/identity/oidc`,
      algorithms: ["RS256"],
      groupsClaim: "groups",
    });
    const namespaced = { ...on, GOFR_SVC_VAULT_NAMESPACE: "/admin/team-a/" };
    expect(readAuthEnv("GOFR_SVC", namespaced).vaultIdentity?.issuer).toBe(
      `${URL}/v1/admin/team-a/identity/oidc`,
    );
  });

  it("reads the issuer, the algorithms (any case, repeats dropped) and the groups claim", () => {
    const settings = readAuthEnv("GOFR_SVC", {
      GOFR_SVC_VAULT_URL: URL,
      GOFR_SVC_VAULT_IDENTITY_AUDIENCE: "billing-api",
      GOFR_SVC_VAULT_IDENTITY_ISSUER: "https://id.example.com/v1/identity/oidc/",
      GOFR_SVC_VAULT_IDENTITY_ALGORITHMS: "rs256, EDDSA,RS256",
      GOFR_SVC_VAULT_IDENTITY_GROUPS_CLAIM: "roles",
    });
    expect(settings.vaultIdentity).toEqual({
      audience: "billing-api",
      issuer: "https://id.example.com/v1/identity/oidc",
      algorithms: ["RS256", "EdDSA"],
      groupsClaim: "roles",
    });
  });

  const on = { GOFR_SVC_VAULT_URL: URL, GOFR_SVC_VAULT_IDENTITY_AUDIENCE: "billing-api" };
  const refused: Array<[string, Record<string, string>, string]> = [
    [
      "an audience without a Vault URL",
      { GOFR_SVC_VAULT_IDENTITY_AUDIENCE: "billing-api" },
      "GOFR_SVC_VAULT_IDENTITY_AUDIENCE: Vault identity tokens need GOFR_SVC_VAULT_URL (Vault's published keys are read there); e.g. GOFR_SVC_VAULT_URL=http://vault:8200",
    ],
    [
      "another identity variable without the audience",
      { GOFR_SVC_VAULT_URL: URL, GOFR_SVC_VAULT_IDENTITY_ALGORITHMS: "RS256" },
      "GOFR_SVC_VAULT_IDENTITY_ALGORITHMS: only read when GOFR_SVC_VAULT_IDENTITY_AUDIENCE turns Vault identity tokens on; e.g. set GOFR_SVC_VAULT_IDENTITY_AUDIENCE to the role's client_id, or unset this",
    ],
    [
      "an algorithm Vault keys do not have",
      { ...on, GOFR_SVC_VAULT_IDENTITY_ALGORITHMS: "RS256,HS256" },
      `GOFR_SVC_VAULT_IDENTITY_ALGORITHMS: "HS256" is not one of RS256, RS384, RS512, ES256, ES384, ES512, EdDSA (got "RS256,HS256"); e.g. RS256 (the Vault key's algorithm; several separated by ',')`,
    ],
    [
      "an issuer that is only Vault's address",
      { ...on, GOFR_SVC_VAULT_IDENTITY_ISSUER: URL },
      `GOFR_SVC_VAULT_IDENTITY_ISSUER: must be Vault's identity issuer, ending in /v1/identity/oidc (got "${URL}"); e.g. https://vault.internal:8200/v1/identity/oidc (default <VAULT_URL>/v1/identity/oidc)`,
    ],
    [
      "a claim that never holds group names",
      { ...on, GOFR_SVC_VAULT_IDENTITY_GROUPS_CLAIM: "exp" },
      `GOFR_SVC_VAULT_IDENTITY_GROUPS_CLAIM: is a standard claim that holds no group names (got "exp"); e.g. groups`,
    ],
    [
      "a claim name with a space",
      { ...on, GOFR_SVC_VAULT_IDENTITY_GROUPS_CLAIM: "my groups" },
      `GOFR_SVC_VAULT_IDENTITY_GROUPS_CLAIM: must be a claim name (got "my groups"); e.g. groups`,
    ],
  ];
  for (const [what, env, problem] of refused) {
    it(`refuses ${what}, naming the variable and an example`, () => {
      expect(problemsOf(env)).toEqual([problem]);
    });
  }
});

describe("resolveAuthConfig with <P>_VAULT_IDENTITY_AUDIENCE", () => {
  let plane: IdentityPlane;
  let caller: CallerLogin;

  beforeAll(async () => {
    plane = await startIdentityPlane();
    caller = await plane.caller("orders", ["billing-readers"]);
    await plane.root("identity/oidc/role/by-team", {
      key: "svc",
      ttl: "15m",
      client_id: BILLING_AUDIENCE,
      template: '{"team": "billing-readers"}',
    });
  });

  afterAll(async () => {
    await plane?.close();
  });

  async function resolve(extra: Record<string, string>) {
    const resolved = await resolveAuthConfig({
      envPrefix: "GOFR_BILLING",
      env: {
        GOFR_BILLING_VAULT_URL: plane.url,
        GOFR_BILLING_VAULT_TOKEN: plane.vault.rootToken,
        GOFR_BILLING_VAULT_IDENTITY_AUDIENCE: BILLING_AUDIENCE,
        ...extra,
      },
      logger: silentLogger,
      checkSecret: false,
    });
    if (!resolved.authEnabled) throw new Error("expected auth");
    // Groups live in the double's KV store, shared by every service resolved here.
    if (!(await resolved.auth.groups.getByName("billing-readers"))) {
      await resolved.auth.groups.create("billing-readers");
    }
    return resolved;
  }

  it("gives the service an AuthService that accepts Vault identity tokens, and closes the verifier", async () => {
    const resolved = await resolve({});
    const verifier = resolved.vaultIdentity;
    if (!verifier) throw new Error("expected a Vault identity verifier");
    const closed = vi.spyOn(verifier, "close");
    try {
      expect(verifier.jwksUrl).toBe(`${plane.url}/v1/identity/oidc/.well-known/keys`);
      expect(verifier.issuer).toBe(plane.issuer);
      const context = await resolved.auth.verifyToken(await caller.identityToken());
      expect(context).toMatchObject({ kind: "vault-identity", subject: caller.entityId });
      expect([...context.groups].sort()).toEqual(["billing-readers", "public"]);
    } finally {
      await resolved.close();
    }
    expect(closed).toHaveBeenCalledOnce();
  });

  it("uses the configured groups claim and algorithms", async () => {
    const resolved = await resolve({
      GOFR_BILLING_VAULT_IDENTITY_GROUPS_CLAIM: "team",
      GOFR_BILLING_VAULT_IDENTITY_ALGORITHMS: "EdDSA",
    });
    try {
      const refused = await rejection(
        resolved.auth.verifyToken(await caller.identityToken("by-team")),
      );
      expect(refused.details.joseCode).toBe("ERR_JOSE_ALG_NOT_ALLOWED");
      const ed = await caller.identityToken(ROLES.billingEd);
      // The EdDSA role's template fills `groups`, not `team`: no groups but public.
      expect((await resolved.auth.verifyToken(ed)).groups).toEqual(["public"]);
    } finally {
      await resolved.close();
    }
    const byTeam = await resolve({ GOFR_BILLING_VAULT_IDENTITY_GROUPS_CLAIM: "team" });
    try {
      const context = await byTeam.auth.verifyToken(await caller.identityToken("by-team"));
      expect([...context.groups].sort()).toEqual(["billing-readers", "public"]);
    } finally {
      await byTeam.close();
    }
  });
});
