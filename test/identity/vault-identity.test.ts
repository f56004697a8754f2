/**
 * VaultIdentityVerifier against the Vault double over loopback: a real AppRole login with
 * the project's VaultClient, `GET identity/oidc/token/<role>`, and jose's remote key set
 * read from the double's unauthenticated `identity/oidc/.well-known/keys`. The double and
 * the verifier have clocks of their own, so key expiry and token expiry can be moved apart.
 */
import { createHmac, generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AuthError } from "../../src/errors.js";
import {
  type GroupsFrom,
  VaultIdentityVerifier,
  type VaultIdentityVerifierOptions,
} from "../../src/identity/index.js";
import { ManualClock } from "../../src/testing/clock.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { expectNoSecrets, rejection } from "../vault/helpers.js";
import { DOUBLE_ROOT_TOKEN, testClientDefaults } from "../vault/target.js";

const KEYS_PATH = "/v1/identity/oidc/.well-known/keys";
const AUDIENCE = "gofr-api";

let vault: VaultDouble;
let url: string;
let issuer: string;
let vaultClock: ManualClock;
let client: VaultClient;
let entityId: string;
const verifiers: VaultIdentityVerifier[] = [];

async function root(method: string, path: string, body?: unknown): Promise<void> {
  const answer = await fetch(`${url}/v1/${path}`, {
    method,
    headers: { "X-Vault-Token": DOUBLE_ROOT_TOKEN, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${await answer.text()}`);
}

/** A token of `role` for the AppRole identity, fetched through the project's Vault client. */
async function identityToken(role = "api"): Promise<string> {
  const answer = (await client.request("GET", `identity/oidc/token/${role}`)) as {
    data: { token: string };
  };
  return answer.data.token;
}

/** A verifier on the verifier's own clock (the double's time unless `clock` is given). */
function verifier(options: Partial<VaultIdentityVerifierOptions> = {}): VaultIdentityVerifier {
  const created = new VaultIdentityVerifier({
    vaultUrl: url,
    issuer,
    audience: AUDIENCE,
    clock: vaultClock.now,
    ...options,
  });
  verifiers.push(created);
  return created;
}

async function refusal(check: VaultIdentityVerifier, token: string): Promise<AuthError> {
  const error = await rejection(check.verify(token));
  // Neither the token nor its signature shows up in a refusal.
  expectNoSecrets(
    error,
    [token, token.split(".")[2] ?? ""].filter((part) => part !== ""),
  );
  return error;
}

beforeAll(async () => {
  vaultClock = new ManualClock();
  vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, clock: vaultClock.now });
  url = await vault.start();
  issuer = `${url}/v1/identity/oidc`;
  await root("POST", "identity/oidc/config", { issuer: url });
  const key = { allowed_client_ids: "*", rotation_period: "1h", verification_ttl: "2h" };
  await root("POST", "identity/oidc/key/svc", key);
  await root("POST", "identity/oidc/key/svc-ed", { ...key, algorithm: "EdDSA" });
  await root("POST", "identity/oidc/role/api", {
    key: "svc",
    ttl: "15m",
    client_id: AUDIENCE,
    template: '{"groups": {{identity.entity.groups.names}}}',
  });
  await root("POST", "identity/oidc/role/api-ed", {
    key: "svc-ed",
    ttl: "15m",
    client_id: AUDIENCE,
  });
  await root("POST", "identity/oidc/role/other", { key: "svc", ttl: "15m", client_id: "not-us" });
  await root("POST", "identity/oidc/role/odd-groups", {
    key: "svc",
    ttl: "15m",
    client_id: AUDIENCE,
    template: '{"groups": 7}',
  });
  vault.setPolicy("id-tokens", { "identity/oidc/token/*": ["read"] });
  const creds = vault.addAppRole("svc-a", { policies: ["id-tokens"], tokenTtlSeconds: 3600 });
  client = new VaultClient({
    address: url,
    auth: { method: "approle", ...creds },
    ...testClientDefaults(),
    clock: vaultClock.now,
  });
  const self = (await client.request("GET", "auth/token/lookup-self")) as {
    data: { entity_id: string };
  };
  entityId = self.data.entity_id;
  await root("POST", "identity/group", { name: "readers", member_entity_ids: [entityId] });
});

afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((item) => item.close()));
  vault.clearFaults();
});

afterAll(async () => {
  await client.close();
  await vault.close();
});

describe("VaultIdentityVerifier with Vault's own identity tokens", () => {
  it("accepts a token Vault signed for the caller's entity, with the entity's groups", async () => {
    const token = await identityToken();
    const identity = await verifier({ groupsFrom: { claim: "groups" } }).verify(token);
    expect(identity.subject).toBe(entityId);
    expect(identity.groups).toEqual(["readers"]);
    expect(identity.claims).toMatchObject({ iss: issuer, aud: AUDIENCE, namespace: "root" });
    expect(identity.algorithm).toBe("RS256");
    expect(identity.expiresAt.getTime()).toBe(vaultClock.now() + 15 * 60 * 1000);
    expect(identity.issuedAt.getTime()).toBe(vaultClock.now());
    expect(identity.keyId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reads the keys from the double's unauthenticated JWKS once, then from its cache", async () => {
    vault.clearRequests();
    const check = verifier();
    await check.verify(await identityToken());
    await check.verify(await identityToken());
    expect(vault.countRequests({ method: "GET", path: KEYS_PATH })).toBe(1);
    expect(check.jwksUrl).toBe(`${url}${KEYS_PATH}`);
  });

  it("maps groups from a claim's value or a function, and refuses a malformed groups claim", async () => {
    const token = await identityToken();
    const bySubject: GroupsFrom = { claim: "sub", map: { [entityId]: ["svc-a", "svc-a"] } };
    expect((await verifier({ groupsFrom: bySubject }).verify(token)).groups).toEqual(["svc-a"]);
    const unknown: GroupsFrom = { claim: "sub", map: { someone: ["admin"] } };
    expect((await verifier({ groupsFrom: unknown }).verify(token)).groups).toEqual([]);
    const fromFn: GroupsFrom = (claims) => [`ns-${claims.namespace}`];
    expect((await verifier({ groupsFrom: fromFn }).verify(token)).groups).toEqual(["ns-root"]);
    const odd = await identityToken("odd-groups");
    const wrong = await refusal(verifier({ groupsFrom: { claim: "groups" } }), odd);
    expect(wrong.code).toBe("token_invalid");
    expect((await verifier().verify(odd)).groups).toEqual([]);
  });

  it("refuses a token for another audience (another role's client_id)", async () => {
    const error = await refusal(verifier(), await identityToken("other"));
    expect(error.code).toBe("audience_mismatch");
  });

  it("refuses a token whose issuer is not the one configured", async () => {
    const error = await refusal(
      verifier({ issuer: "https://vault.elsewhere:8200/v1/identity/oidc" }),
      await identityToken(),
    );
    expect(error.code).toBe("issuer_untrusted");
  });

  it("refuses an expired token once the tolerance has passed, on the injected clock", async () => {
    const token = await identityToken();
    const late = new ManualClock(vaultClock.now() + (15 * 60 + 29) * 1000);
    expect((await verifier({ clock: late.now }).verify(token)).subject).toBe(entityId);
    late.advanceSeconds(1);
    expect((await refusal(verifier({ clock: late.now }), token)).code).toBe("token_expired");
    const strict = new ManualClock(vaultClock.now() + (15 * 60 + 1) * 1000);
    const noSlack = verifier({ clock: strict.now, clockToleranceSeconds: 0 });
    expect((await refusal(noSlack, token)).code).toBe("token_expired");
  });

  it("refuses a token issued in the future beyond the tolerance", async () => {
    const token = await identityToken();
    const early = new ManualClock(vaultClock.now() - 31_000);
    expect((await refusal(verifier({ clock: early.now }), token)).code).toBe("token_not_yet_valid");
  });
});

/** `header.payload` of `token` with the header replaced, unsigned. */
function withHeader(token: string, header: Record<string, unknown>): string {
  const [, payload] = token.split(".");
  return `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${payload}`;
}

describe("VaultIdentityVerifier refuses forged and confused tokens", () => {
  it("refuses a token signed by a key Vault does not publish; unknown kids refetch only after the cooldown", async () => {
    const real = await identityToken();
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const claims = JSON.parse(Buffer.from(real.split(".")[1] ?? "", "base64url").toString("utf8"));
    const forge = (kid: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey);
    const fetches = () => vault.countRequests({ method: "GET", path: KEYS_PATH });
    const check = verifier();
    await check.verify(real);
    vault.clearRequests();
    const first = await refusal(check, await forge("a-kid-vault-never-made"));
    expect(first.code).toBe("token_invalid");
    expect(first.details.joseCode).toBe("ERR_JWKS_NO_MATCHING_KEY");
    await refusal(check, await forge("another-made-up-kid"));
    // Within 30 s of the last fetch, made-up kids cost Vault nothing.
    expect(fetches()).toBe(0);
    const eager = verifier({ cooldownMs: 0 });
    await eager.verify(real);
    vault.clearRequests();
    await refusal(eager, await forge("a-third-kid"));
    expect(fetches()).toBe(1); // without a cooldown, an unknown kid reloads the set once
    // A published kid does not help a signature made with another key.
    const published = JSON.parse(Buffer.from(real.split(".")[0] ?? "", "base64url").toString());
    const borrowed = await refusal(check, await forge(published.kid));
    expect(borrowed.code).toBe("token_invalid");
    expect(borrowed.details.joseCode).toBe("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
  });

  it("refuses alg none and an HS256 token keyed with Vault's public key", async () => {
    const real = await identityToken();
    const kid = JSON.parse(Buffer.from(real.split(".")[0] ?? "", "base64url").toString()).kid;
    const check = verifier();
    const none = `${withHeader(real, { alg: "none", kid })}.`;
    const unsigned = await refusal(check, none);
    expect(unsigned.code).toBe("token_invalid");
    expect(unsigned.details.joseCode).toBe("ERR_JOSE_ALG_NOT_ALLOWED");
    const keys = (await (await fetch(`${url}${KEYS_PATH}`)).json()) as { keys: { kid: string }[] };
    const jwk = keys.keys.find((item) => item.kid === kid);
    const input = withHeader(real, { alg: "HS256", kid });
    const mac = createHmac("sha256", JSON.stringify(jwk)).update(input).digest("base64url");
    const confused = await refusal(check, `${input}.${mac}`);
    expect(confused.code).toBe("token_invalid");
    expect(confused.details.joseCode).toBe("ERR_JOSE_ALG_NOT_ALLOWED");
  });

  it("takes the algorithm from its configuration, never from the token: EdDSA only when configured", async () => {
    const token = await identityToken("api-ed");
    const rsaOnly = await refusal(verifier(), token);
    expect(rsaOnly.details.joseCode).toBe("ERR_JOSE_ALG_NOT_ALLOWED");
    const identity = await verifier({ algorithms: ["EdDSA"] }).verify(token);
    expect(identity).toMatchObject({ subject: entityId, algorithm: "EdDSA" });
  });

  it("refuses a missing, oversized or undecodable token before fetching any key", async () => {
    vault.clearRequests();
    const check = verifier({ maxTokenBytes: 2048 });
    expect((await rejection(check.verify(""))).code).toBe("token_missing");
    expect((await rejection(check.verify(undefined))).code).toBe("token_missing");
    expect((await rejection(check.verify("x".repeat(2049)))).code).toBe("token_too_large");
    expect((await rejection(check.verify("not.a-jwt"))).code).toBe("token_malformed");
    expect(vault.countRequests({ method: "GET", path: KEYS_PATH })).toBe(0);
  });
});

describe("VaultIdentityVerifier across key rotation and Vault outages", () => {
  it("still accepts a token of the rotated-out key until its verification_ttl, then not", async () => {
    const before = await identityToken();
    await root("POST", "identity/oidc/key/svc/rotate");
    const after = await identityToken();
    const check = verifier();
    // The new kid was published before the rotation; both tokens verify with one key set.
    expect((await check.verify(after)).subject).toBe(entityId);
    expect((await check.verify(before)).subject).toBe(entityId);
    // Two hours later (the verification_ttl) Vault stops publishing the old key. The
    // verifier's clock stays put, so only the missing key can refuse the token.
    vaultClock.advanceSeconds(2 * 3600 + 1);
    const fresh = verifier({ clock: () => vaultClock.now() - (2 * 3600 + 1) * 1000 });
    expect((await refusal(fresh, before)).details.joseCode).toBe("ERR_JWKS_NO_MATCHING_KEY");
  });

  it("fails closed with a 503-class error while Vault's keys cannot be fetched", async () => {
    const token = await identityToken();
    vault.failNext(1, 503, { match: { path: KEYS_PATH } });
    const sealed = await refusal(verifier(), token);
    expect(sealed.code).toBe("vault_unreachable");
    expect(sealed.category).toBe("unavailable");
    expect(sealed.details).toMatchObject({ status: 503, jwksUrl: `${url}${KEYS_PATH}` });
    vault.malformedNext(1, { path: KEYS_PATH });
    const garbled = await refusal(verifier(), token);
    expect(garbled.code).toBe("vault_bad_response");
    const gone = verifier({
      jwksUrl: "http://127.0.0.1:9/v1/identity/oidc/.well-known/keys",
      vaultUrl: undefined,
    });
    expect((await refusal(gone, token)).code).toBe("vault_unreachable");
  });

  it("needs an issuer, an audience and one key set location, and only Vault's algorithms", () => {
    const base = { vaultUrl: url, issuer, audience: AUDIENCE };
    const refused = (options: Partial<VaultIdentityVerifierOptions>) => {
      try {
        new VaultIdentityVerifier({ ...base, ...options } as VaultIdentityVerifierOptions);
      } catch (error) {
        return (error as AuthError).code;
      }
      return "accepted";
    };
    expect(refused({ audience: "" })).toBe("config_invalid");
    expect(refused({ issuer: " " })).toBe("config_invalid");
    expect(refused({ jwksUrl: `${url}${KEYS_PATH}` })).toBe("config_invalid");
    expect(refused({ vaultUrl: undefined })).toBe("config_invalid");
    expect(refused({ algorithms: ["HS256" as "RS256"] })).toBe("config_invalid");
    expect(refused({ algorithms: [] })).toBe("config_invalid");
    expect(refused({ clockToleranceSeconds: -1 })).toBe("config_invalid");
  });
});
