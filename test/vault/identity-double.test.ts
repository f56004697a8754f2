/**
 * Vault's identity secrets engine over HTTP: OIDC named keys, roles, signed identity
 * tokens for an AppRole login's entity, the unauthenticated discovery document and key
 * set, the issuer config and identity groups. Contract tests (run against a real Vault
 * too, target.ts) cite hashicorp/vault `vault/identity_store_oidc.go`; the key rotation
 * timing needs the double's clock. Names live under the target's prefix; keys and roles
 * are deleted afterwards.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { call, dataOf, errorsOf } from "./double-http.js";
import {
  appRoleIdentity,
  decodeJwt,
  expectStatus,
  type IdentityFixture,
  identityTarget,
  identityToken,
  publishedKeys,
  type Root,
  signedBy,
} from "./identity-fixtures.js";
import { DOUBLE_ROOT_TOKEN, describeContract, describeDoubleOnly } from "./target.js";

describeContract("identity OIDC named keys and roles (pathOIDCCreateUpdateKey, ...Role)", () => {
  let f: IdentityFixture;
  beforeAll(async () => {
    f = await identityTarget();
  });
  afterAll(() => f.stop());

  it("creates a key with Vault's defaults and reads it back; a missing key is 404", async () => {
    const name = await f.key();
    const read = expectStatus(await f.root("GET", `identity/oidc/key/${name}`), 200);
    expect(dataOf(read)).toEqual({
      algorithm: "RS256",
      allowed_client_ids: [],
      rotation_period: 86_400,
      verification_ttl: 86_400,
    });
    expect((read.body as { mount_type: string }).mount_type).toBe("identity");
    expect(await f.root("GET", `identity/oidc/key/${f.prefix}-ghost`)).toMatchObject({
      status: 404,
      body: { errors: [] },
    });
  });

  it("an update changes only the fields it gives", async () => {
    // verification_ttl (24h by default) may be at most 10x rotation_period.
    const name = await f.key({ rotation_period: "3h", allowed_client_ids: "a, b" });
    expectStatus(await f.root("POST", `identity/oidc/key/${name}`, { verification_ttl: 600 }), 204);
    expect(dataOf(await f.root("GET", `identity/oidc/key/${name}`))).toEqual({
      algorithm: "RS256",
      allowed_client_ids: ["a", "b"],
      rotation_period: 10_800,
      verification_ttl: 600,
    });
  });

  it("refuses an unknown algorithm, a short rotation_period and a long verification_ttl", async () => {
    const write = (body: unknown) => f.root("POST", `identity/oidc/key/${f.prefix}-bad`, body);
    const cases: [unknown, string][] = [
      [{ algorithm: "HS256" }, 'unknown signing algorithm "HS256"'],
      [{ rotation_period: 59 }, "rotation_period must be at least one minute"],
      [
        { rotation_period: 60, verification_ttl: 601 },
        "verification_ttl cannot be longer than 10x rotation_period",
      ],
    ];
    for (const [body, message] of cases) {
      const answer = expectStatus(await write(body), 400);
      expect(errorsOf(answer)).toEqual([message]);
    }
    expect((await f.root("GET", `identity/oidc/key/${f.prefix}-bad`)).status).toBe(404);
  });

  it("lists keys, default included, and never deletes default or a key a role uses", async () => {
    const name = await f.key({ allowed_client_ids: "*" });
    const role = await f.role({ key: name });
    const list = dataOf<{ keys: string[] }>(await f.root("LIST", "identity/oidc/key"));
    expect(list.keys).toEqual(expect.arrayContaining(["default", name]));
    expect(
      errorsOf(expectStatus(await f.root("DELETE", "identity/oidc/key/default"), 400)),
    ).toEqual(['deletion of key "default" not allowed']);
    const busy = expectStatus(await f.root("DELETE", `identity/oidc/key/${name}`), 400);
    expect(errorsOf(busy)).toEqual([
      `unable to delete key "${name}" because it is currently referenced by these roles: ${role}`,
    ]);
    const spare = await f.key();
    expectStatus(await f.root("DELETE", `identity/oidc/key/${spare}`), 204);
  });

  it("a role needs an existing key, a ttl within its verification_ttl and a valid template", async () => {
    const name = await f.key({ verification_ttl: "1h", rotation_period: "1h" });
    const write = (body: unknown) => f.root("POST", `identity/oidc/role/${f.prefix}-bad`, body);
    const cases: [unknown, string][] = [
      [{}, "the key parameter is required"],
      [{ key: `${f.prefix}-ghost` }, `cannot find key "${f.prefix}-ghost"`],
      [
        { key: name, ttl: "2h" },
        "a role's token ttl cannot be longer than the verification_ttl of the key it references",
      ],
      [
        { key: name, ttl: 60, template: '{"sub": "me"}' },
        'top level key "sub" not allowed. Restricted keys: iat, aud, exp, iss, sub, namespace, nonce, auth_time, at_hash, c_hash',
      ],
      [
        { key: name, ttl: 60, template: "{{identity.entity.id" },
        "error parsing template: unbalanced templating characters",
      ],
    ];
    for (const [body, message] of cases) {
      expect(errorsOf(expectStatus(await write(body), 400))).toEqual([message]);
    }
    const json = expectStatus(await write({ key: name, ttl: 60, template: "[1]" }), 400);
    expect(errorsOf(json)[0]).toMatch(/^error parsing template JSON: /);
    expect((await f.root("GET", `identity/oidc/role/${f.prefix}-bad`)).status).toBe(404);
  });

  it("reads a role back with a generated 26-character client_id, or the one given", async () => {
    const name = await f.key();
    const template = '{"svc": {{identity.entity.name}}}';
    const generated = await f.role({ key: name, ttl: "30m", template });
    const read = dataOf(await f.root("GET", `identity/oidc/role/${generated}`));
    expect(read).toEqual({
      client_id: expect.stringMatching(/^[0-9A-Za-z]{26}$/),
      key: name,
      template,
      ttl: 1800,
    });
    const given = await f.role({
      key: name,
      client_id: "gofr-web",
      template: Buffer.from(template).toString("base64"),
    });
    // A base64 template is stored decoded; the ttl defaults to 24h.
    expect(dataOf(await f.root("GET", `identity/oidc/role/${given}`))).toEqual({
      client_id: "gofr-web",
      key: name,
      template,
      ttl: 86_400,
    });
  });
});

describeContract(
  "identity discovery, key set and issuer (pathOIDCDiscovery, ...ReadPublicKeys)",
  () => {
    let f: IdentityFixture;
    let originalIssuer: string;
    beforeAll(async () => {
      f = await identityTarget();
      originalIssuer = dataOf<{ issuer: string }>(
        await f.root("GET", "identity/oidc/config"),
      ).issuer;
    });
    afterAll(async () => {
      await f.root("POST", "identity/oidc/config", { issuer: originalIssuer });
      await f.stop();
    });

    it("serves the discovery document without a token (a bad one is ignored), raw, max-age=3600", async () => {
      for (const token of [undefined, "not-a-token"]) {
        const answer = await call(
          f.target.url,
          "GET",
          "identity/oidc/.well-known/openid-configuration",
          { token },
        );
        expectStatus(answer, 200);
        const body = answer.body as Record<string, unknown>;
        expect(Object.keys(body)).toEqual([
          "issuer",
          "jwks_uri",
          "response_types_supported",
          "subject_types_supported",
          "id_token_signing_alg_values_supported",
        ]);
        expect(String(body.issuer)).toMatch(/\/v1\/identity\/oidc$/);
        expect(body).toMatchObject({
          jwks_uri: `${body.issuer}/.well-known/keys`,
          response_types_supported: ["id_token"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: [
            "RS256",
            "RS384",
            "RS512",
            "ES256",
            "ES384",
            "ES512",
            "EdDSA",
          ],
        });
        expect(answer.headers.get("cache-control")).toBe("max-age=3600");
        expect(answer.headers.get("content-type")).toContain("application/json");
      }
    });

    it("publishes the current and next public key of each key a role uses, in go-jose's shape", async () => {
      const used = await f.key({ allowed_client_ids: "*" });
      const unused = await f.key({ allowed_client_ids: "*" });
      await f.role({ key: used, ttl: 60 });
      const answer = expectStatus(
        await call(f.target.url, "GET", "identity/oidc/.well-known/keys"),
        200,
      );
      const keys = (answer.body as { keys: Record<string, string>[] }).keys;
      expect(Object.keys(answer.body as object)).toEqual(["keys"]);
      // Which kids belong to which key is not published; a key with no role adds none.
      const mine = keys.filter((jwk) => jwk.alg === "RS256");
      expect(mine.length).toBeGreaterThanOrEqual(2);
      for (const jwk of mine) {
        expect(Object.keys(jwk)).toEqual(["use", "kty", "kid", "alg", "n", "e"]);
        expect(jwk).toMatchObject({ use: "sig", kty: "RSA", e: "AQAB" });
        expect(Buffer.from(jwk.n as string, "base64url").length).toBe(256);
      }
      expect(JSON.stringify(keys)).not.toMatch(/"(d|p|q|dp|dq|qi)":/);
      // A role for the second key publishes its two keys too.
      await f.role({ key: unused, ttl: 60 });
      const after = await publishedKeys(f.target);
      expect(after.length).toBe(keys.length + 2);
      const post = await call(f.target.url, "POST", "identity/oidc/.well-known/keys", { body: {} });
      expect(post.status).toBe(405);
    });

    it("rotation: the next key signs from now on, the previous one stays published", async () => {
      const key = await f.key({ allowed_client_ids: "*" });
      const role = await f.role({ key, ttl: 60 });
      const mount = `${f.prefix}-rot`;
      const caller = await appRoleIdentity(f.target, mount, "svc-rot", {
        [`identity/oidc/token/${role}`]: ["read"],
      });
      const sign = async () =>
        dataOf<{ token: string }>(await identityToken(f.target, role, caller.token)).token;
      const before = await sign();
      const published = (await publishedKeys(f.target)).map((jwk) => jwk.kid);
      expectStatus(await f.root("POST", `identity/oidc/key/${key}/rotate`), 204);
      const after = await sign();
      const kidBefore = decodeJwt(before).header.kid;
      const kidAfter = decodeJwt(after).header.kid;
      expect(kidAfter).not.toBe(kidBefore);
      // Vault published the next key before it signed anything.
      expect(published).toContain(kidAfter);
      const keys = await publishedKeys(f.target);
      expect(signedBy(before, keys)).toBe(true);
      expect(signedBy(after, keys)).toBe(true);
      const missing = expectStatus(
        await f.root("POST", `identity/oidc/key/${f.prefix}-ghost/rotate`),
        400,
      );
      expect(errorsOf(missing)).toEqual([`no named key found at "${f.prefix}-ghost"`]);
      await f.root("DELETE", `sys/auth/${mount}`);
    });

    it("identity/oidc/config: only scheme://host[:port]; the issuer then names every token", async () => {
      for (const bad of [
        "https://vault.example.com/",
        "vault.example.com",
        "https://vault.example.com/x",
        "ftp://vault.example.com",
      ]) {
        const answer = expectStatus(
          await f.root("POST", "identity/oidc/config", { issuer: bad }),
          400,
        );
        expect(errorsOf(answer)).toEqual([
          "invalid issuer, which must include only a scheme, host, and optional port (e.g. https://example.com:8200)",
        ]);
      }
      const set = expectStatus(
        await f.root("POST", "identity/oidc/config", { issuer: "https://vault.example.com:8200" }),
        200,
      );
      expect((set.body as { warnings: string[] }).warnings[0]).toMatch(
        /^If "issuer" is set explicitly/,
      );
      expect(dataOf(await f.root("GET", "identity/oidc/config"))).toEqual({
        issuer: "https://vault.example.com:8200",
      });
      const discovery = await call(
        f.target.url,
        "GET",
        "identity/oidc/.well-known/openid-configuration",
      );
      expect(discovery.body).toMatchObject({
        issuer: "https://vault.example.com:8200/v1/identity/oidc",
        jwks_uri: "https://vault.example.com:8200/v1/identity/oidc/.well-known/keys",
      });
      expectStatus(await f.root("POST", "identity/oidc/config", { issuer: "" }), 204);
    });
  },
);

describeDoubleOnly("identity key rotation and expiry", "judged on the double's clock", () => {
  let vault: VaultDouble;
  let url: string;
  let clock: ManualClock;
  let root: Root;
  beforeAll(async () => {
    clock = new ManualClock();
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, clock: clock.now });
    url = await vault.start();
    root = (method, path, body) => call(url, method, path, { token: DOUBLE_ROOT_TOKEN, body });
  });
  afterAll(() => vault.close());

  const kids = async () =>
    (
      (await call(url, "GET", "identity/oidc/.well-known/keys")).body as { keys: { kid: string }[] }
    ).keys.map((jwk) => jwk.kid);

  it("rotates at rotation_period and drops a rotated key after verification_ttl", async () => {
    const body = { rotation_period: "1h", verification_ttl: "2h", allowed_client_ids: "*" };
    expectStatus(await root("POST", "identity/oidc/key/k", body), 204);
    expectStatus(await root("POST", "identity/oidc/role/r", { key: "k", ttl: "1h" }), 204);
    const [first, next] = await kids();
    expect(await kids()).toHaveLength(2);
    clock.advanceSeconds(3601); // past next_rotation: the next key signs, a new next appears
    const afterRotation = await kids();
    expect(afterRotation).toHaveLength(3);
    expect(afterRotation.slice(0, 2)).toEqual([first, next]);
    clock.advanceSeconds(2 * 3600 + 1); // past the first key's verification_ttl (and a second rotation)
    const later = await kids();
    expect(later).not.toContain(first);
    expect(later).toContain(next);
  });

  it("keeps serving a deleted role's keys until the next flush, as Vault's oidcCache does", async () => {
    expectStatus(await root("POST", "identity/oidc/key/cached", { allowed_client_ids: "*" }), 204);
    expectStatus(await root("POST", "identity/oidc/role/cached", { key: "cached", ttl: 60 }), 204);
    const withRole = await kids();
    // pathOIDCDeleteRole deletes the role without flushing the cached key set...
    expectStatus(await root("DELETE", "identity/oidc/role/cached"), 204);
    expect(await kids()).toEqual(withRole);
    // ...which the next key write does (pathOIDCCreateUpdateKey).
    expectStatus(await root("POST", "identity/oidc/key/cached", { verification_ttl: "1h" }), 204);
    expect(await kids()).toHaveLength(withRole.length - 2);
  });

  it("the default key gets key material when a role first uses it", async () => {
    const before = await kids();
    expect(dataOf(await root("GET", "identity/oidc/key/default"))).toEqual({
      algorithm: "RS256",
      allowed_client_ids: ["*"],
      rotation_period: 86_400,
      verification_ttl: 86_400,
    });
    expectStatus(
      await root("POST", "identity/oidc/role/uses-default", { key: "default", ttl: 60 }),
      204,
    );
    expect((await kids()).length).toBe(before.length + 2);
  });

  it("an identity token of a login made through addAppRole carries the login's entity", async () => {
    vault.setPolicy("id-reader", { "identity/oidc/token/r": ["read"] });
    const creds = vault.addAppRole("svc", { policies: ["id-reader"] });
    const logged = await call(url, "POST", "auth/approle/login", {
      body: { role_id: creds.roleId, secret_id: creds.secretId },
    });
    const auth = (logged.body as { auth: { client_token: string; entity_id: string } }).auth;
    const answer = expectStatus(
      await call(url, "GET", "identity/oidc/token/r", { token: auth.client_token }),
      200,
    );
    const { payload } = decodeJwt(dataOf<{ token: string }>(answer).token);
    expect(payload).toMatchObject({ sub: auth.entity_id, iat: clock.now() / 1000 });
  });
});
