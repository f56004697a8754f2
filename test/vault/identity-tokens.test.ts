/**
 * Identity tokens signed for an AppRole login's entity over HTTP (hashicorp/vault
 * `vault/identity_store_oidc.go` `pathOIDCGenerateToken`, `idToken`, `signPayload`;
 * entities from `vault/identity_store.go` `CreateOrFetchEntity` and approle
 * `path_login.go`; a child token inherits its parent's entity, `vault/token_store.go`
 * `handleCreateCommon`; identity groups from `vault/identity_store_groups.go`).
 * Contract tests, run against a real Vault too (target.ts).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { call, dataOf, errorsOf } from "./double-http.js";
import {
  type AppRoleLogin,
  appRoleIdentity,
  decodeJwt,
  expectStatus,
  type IdentityFixture,
  identityTarget,
  identityToken,
  login,
  publishedKeys,
  signedBy,
} from "./identity-fixtures.js";
import { describeContract, describeDoubleOnly } from "./target.js";

describeContract("identity tokens for an AppRole entity (pathOIDCGenerateToken)", () => {
  let f: IdentityFixture;
  let mount: string;
  let caller: AppRoleLogin;
  let key: string;
  let role: string;
  beforeAll(async () => {
    f = await identityTarget();
    mount = `${f.prefix}-approle`;
    role = `${f.prefix}-role-api`;
    caller = await appRoleIdentity(f.target, mount, "svc-a", {
      [`identity/oidc/token/${role}`]: ["read"],
      "auth/token/create": ["update"],
    });
    const mounts = dataOf<Record<string, { accessor: string }>>(await f.root("GET", "sys/auth"));
    const accessor = mounts[`${mount}/`]?.accessor;
    key = await f.key({ allowed_client_ids: "*", rotation_period: "1h", verification_ttl: "2h" });
    const template = `{"who": {{identity.entity.id}}, "role": {{identity.entity.aliases.${accessor}.metadata.role_name}}}`;
    await f.role({ key, ttl: "15m", client_id: `${f.prefix}-api`, template }, role);
  });
  afterAll(async () => {
    await f.root("DELETE", `sys/auth/${mount}`);
    await f.stop();
  });

  it("an AppRole login has an entity: the same on every login, in lookup-self, inherited by a child token", async () => {
    expect(caller.entityId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await login(f.target, mount, caller.roleId, caller.secretId);
    expect(again.entityId).toBe(caller.entityId);
    const self = await call(f.target.url, "GET", "auth/token/lookup-self", { token: caller.token });
    expect(dataOf<{ entity_id: string }>(self).entity_id).toBe(caller.entityId);
    const child = await call(f.target.url, "POST", "auth/token/create", {
      token: caller.token,
      body: { ttl: "5m" },
    });
    expect((child.body as { auth: { entity_id: string } }).auth.entity_id).toBe(caller.entityId);
  });

  it("signs a JWT for the caller's entity with the role's key, verifiable with the published keys", async () => {
    const answer = expectStatus(await identityToken(f.target, role, caller.token), 200);
    const data = dataOf<{ token: string; client_id: string; ttl: number }>(answer);
    expect(Object.keys(data).sort()).toEqual(["client_id", "token", "ttl"]);
    expect(data).toMatchObject({ client_id: `${f.prefix}-api`, ttl: 900 });
    const { header, payload, payloadText } = decodeJwt(data.token);
    expect(header).toEqual({ alg: "RS256", kid: expect.any(String) });
    expect(payload).toMatchObject({
      sub: caller.entityId,
      aud: `${f.prefix}-api`,
      namespace: "root",
      who: caller.entityId,
      role: "svc-a",
    });
    expect(String(payload.iss)).toMatch(/\/v1\/identity\/oidc$/);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
    // json.Marshal of a Go map: keys sorted.
    expect(Object.keys(JSON.parse(payloadText))).toEqual(Object.keys(payload).sort());
    expect(signedBy(data.token, await publishedKeys(f.target))).toBe(true);
  });

  it("a token without an entity (root) is refused with 400; without read on the path, 403", async () => {
    const rootAnswer = expectStatus(await identityToken(f.target, role, f.target.rootToken), 400);
    expect(errorsOf(rootAnswer)).toEqual(["no entity associated with the request's token"]);
    const other = await f.role({ key, ttl: 60 });
    expectStatus(await identityToken(f.target, other, caller.token), 403);
    const unknown = expectStatus(
      await identityToken(f.target, `${f.prefix}-nope`, f.target.rootToken),
      400,
    );
    expect(errorsOf(unknown)).toEqual([`role "${f.prefix}-nope" not found`]);
  });

  it("a key that does not allow the role's client_id will not sign (400)", async () => {
    const strict = await f.key({ allowed_client_ids: "someone-else" });
    const name = `${f.prefix}-strict`;
    expectStatus(await f.root("POST", `identity/oidc/role/${name}`, { key: strict, ttl: 60 }), 204);
    const reader = await appRoleIdentity(f.target, mount, "svc-b", {
      [`identity/oidc/token/${name}`]: ["read"],
    });
    const answer = expectStatus(await identityToken(f.target, name, reader.token), 400);
    expect(errorsOf(answer)).toEqual([
      `the key "${strict}" does not list the client ID of the role "${name}" as an allowed client ID`,
    ]);
    await f.root("DELETE", `identity/oidc/role/${name}`);
  });

  it("signs with the key's algorithm: ES256 and EdDSA", async () => {
    for (const algorithm of ["ES256", "EdDSA"]) {
      const k = await f.key({ algorithm, allowed_client_ids: "*" });
      const name = `${f.prefix}-${algorithm.toLowerCase()}`;
      expectStatus(await f.root("POST", `identity/oidc/role/${name}`, { key: k, ttl: 60 }), 204);
      const reader = await appRoleIdentity(f.target, mount, `svc-${algorithm.toLowerCase()}`, {
        [`identity/oidc/token/${name}`]: ["read"],
      });
      const token = dataOf<{ token: string }>(
        await identityToken(f.target, name, reader.token),
      ).token;
      expect(decodeJwt(token).header.alg).toBe(algorithm);
      const jwk = (await publishedKeys(f.target)).find(
        (item) => item.kid === decodeJwt(token).header.kid,
      );
      expect(jwk).toMatchObject(
        algorithm === "EdDSA" ? { kty: "OKP", crv: "Ed25519" } : { kty: "EC", crv: "P-256" },
      );
      expect(signedBy(token, await publishedKeys(f.target))).toBe(true);
      await f.root("DELETE", `identity/oidc/role/${name}`);
    }
  });

  it("puts the entity's identity groups in the token through the template", async () => {
    const group = `${f.prefix}-readers`;
    const created = expectStatus(
      await f.root("POST", "identity/group", { name: group, member_entity_ids: [caller.entityId] }),
      200,
    );
    expect(dataOf(created)).toEqual({ id: expect.any(String), name: group });
    const name = `${f.prefix}-grouped`;
    expectStatus(
      await f.root("POST", `identity/oidc/role/${name}`, {
        key,
        ttl: 60,
        template: '{"groups": {{identity.entity.groups.names}}}',
      }),
      204,
    );
    // The same AppRole role again (its policy widened): the same alias, so the same entity.
    const reader = await appRoleIdentity(f.target, mount, "svc-a", {
      [`identity/oidc/token/${role}`]: ["read"],
      [`identity/oidc/token/${name}`]: ["read"],
      "auth/token/create": ["update"],
    });
    expect(reader.entityId).toBe(caller.entityId);
    const token = dataOf<{ token: string }>(
      await identityToken(f.target, name, reader.token),
    ).token;
    expect(decodeJwt(token).payload.groups).toEqual([group]);
    const updated = await f.root("POST", "identity/group", { name: group, member_entity_ids: [] });
    expect(updated.status).toBe(204);
    const none = dataOf<{ token: string }>(await identityToken(f.target, name, reader.token)).token;
    expect(decodeJwt(none).payload.groups).toBeNull();
    await f.root("DELETE", `identity/oidc/role/${name}`);
    await f.root("DELETE", `identity/group/name/${group}`);
  });
});

describeContract("identity groups (pathGroupRegister, handleGroupUpdateCommon)", () => {
  let f: IdentityFixture;
  let mount: string;
  let member: AppRoleLogin;
  const names: string[] = [];
  const group = async (body: Record<string, unknown>) => {
    const answer = await f.root("POST", "identity/group", body);
    if (answer.status === 200) names.push(dataOf<{ name: string }>(answer).name);
    return answer;
  };
  beforeAll(async () => {
    f = await identityTarget();
    mount = `${f.prefix}-groups`;
    member = await appRoleIdentity(f.target, mount, "member", {
      "identity/oidc/token/none": ["read"],
    });
  });
  afterAll(async () => {
    for (const name of names) await f.root("DELETE", `identity/group/name/${name}`);
    await f.root("DELETE", `sys/auth/${mount}`);
    await f.stop();
  });

  it("creates a group (200 {id, name}, a generated name when none), then updates it (204)", async () => {
    const named = expectStatus(await group({ name: `${f.prefix}-g1` }), 200);
    const { id } = dataOf<{ id: string }>(named);
    expect(dataOf(named)).toEqual({ id: expect.any(String), name: `${f.prefix}-g1` });
    const generated = dataOf<{ name: string }>(expectStatus(await group({}), 200));
    expect(generated.name).toMatch(/^group_[0-9a-f]{8}$/);
    const byId = await group({ id, member_entity_ids: [member.entityId] });
    expectStatus(byId, 204);
    expectStatus(await group({ name: `${f.prefix}-g1`, metadata: { tier: "gold" } }), 204);
  });

  it("refuses unknown members (500), a taken name, an unknown id and root policies (400)", async () => {
    const unknown = expectStatus(
      await group({ name: `${f.prefix}-g2`, member_entity_ids: ["nope"] }),
      500,
    );
    expect(errorsOf(unknown)[0]).toContain('invalid entity ID "nope"');
    const first = dataOf<{ id: string }>(
      expectStatus(await group({ name: `${f.prefix}-g3` }), 200),
    );
    expectStatus(await group({ name: `${f.prefix}-g4` }), 200);
    const taken = expectStatus(await group({ id: first.id, name: `${f.prefix}-g4` }), 400);
    expect(errorsOf(taken)).toEqual(["group name is already in use"]);
    expect(errorsOf(expectStatus(await group({ id: "not-a-group" }), 400))).toEqual([
      "invalid group ID",
    ]);
    const root = expectStatus(await group({ name: `${f.prefix}-g5`, policies: ["root"] }), 400);
    expect(errorsOf(root)).toEqual(["policies cannot contain root"]);
  });
});

describeDoubleOnly(
  "identity groups the double does not model",
  "refusals of the double's own",
  () => {
    let f: IdentityFixture;
    beforeAll(async () => {
      f = await identityTarget();
    });
    afterAll(() => f.stop());

    it("refuses group policies, external groups and group hierarchies instead of ignoring them", async () => {
      for (const body of [
        { policies: "reader" },
        { type: "external" },
        { member_group_ids: ["g"] },
      ]) {
        const answer = expectStatus(await f.root("POST", "identity/group", body), 400);
        expect(errorsOf(answer)[0]).toMatch(/^vault double: /);
      }
    });
  },
);
