/**
 * Set-up shared by the identity token suites: an AppRole identity whose policy may read
 * `identity/oidc/token/<role>`, an OIDC key and role, and JWT helpers that check a token
 * against the published keys with node:crypto alone (no JWT library between the test and
 * the bytes).
 */
import { createPublicKey, verify } from "node:crypto";
import { expect } from "vitest";
import { type Answer, call, dataOf } from "./double-http.js";
import { startTarget, type VaultTarget } from "./target.js";

export type Root = (method: string, path: string, body?: unknown) => Promise<Answer>;

export function rootCaller(target: VaultTarget): Root {
  return (method, path, body) => call(target.url, method, path, { token: target.rootToken, body });
}

/** Expects `status`, showing the body when it differs. */
export function expectStatus(answer: Answer, status: number): Answer {
  expect(answer.status, answer.text).toBe(status);
  return answer;
}

export interface AppRoleLogin {
  token: string;
  entityId: string;
  roleId: string;
  secretId: string;
}

/**
 * AppRole at `mount` (enabled here), role `name` with a policy of `rules` (path ->
 * capabilities), logged in once.
 */
export async function appRoleIdentity(
  target: VaultTarget,
  mount: string,
  name: string,
  rules: Record<string, readonly string[]>,
): Promise<AppRoleLogin> {
  const root = rootCaller(target);
  const mounts = await root("GET", "sys/auth");
  if (!Object.hasOwn(dataOf(mounts), `${mount}/`)) {
    expectStatus(await root("POST", `sys/auth/${mount}`, { type: "approle" }), 204);
  }
  const policy = target.policyName(name);
  const hcl = Object.entries(rules)
    .map(([path, caps]) => `path "${path}" { capabilities = ${JSON.stringify(caps)} }`)
    .join("\n");
  expectStatus(await root("PUT", `sys/policies/acl/${policy}`, { policy: hcl }), 204);
  const role = `auth/${mount}/role/${name}`;
  expectStatus(await root("POST", role, { token_policies: policy, token_ttl: "1h" }), 204);
  const roleId = dataOf<{ role_id: string }>(await root("GET", `${role}/role-id`)).role_id;
  const secretId = dataOf<{ secret_id: string }>(await root("POST", `${role}/secret-id`)).secret_id;
  return { ...(await login(target, mount, roleId, secretId)), roleId, secretId };
}

export async function login(
  target: VaultTarget,
  mount: string,
  roleId: string,
  secretId: string,
): Promise<{ token: string; entityId: string }> {
  const answer = expectStatus(
    await call(target.url, "POST", `auth/${mount}/login`, {
      body: { role_id: roleId, secret_id: secretId },
    }),
    200,
  );
  const auth = (answer.body as { auth: { client_token: string; entity_id: string } }).auth;
  return { token: auth.client_token, entityId: auth.entity_id };
}

/** `GET identity/oidc/token/<role>` with `token`. */
export function identityToken(target: VaultTarget, role: string, token: string): Promise<Answer> {
  return call(target.url, "GET", `identity/oidc/token/${role}`, { token });
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** The raw JSON of the payload, key order as signed. */
  payloadText: string;
}

export function decodeJwt(jwt: string): DecodedJwt {
  const [header = "", payload = ""] = jwt.split(".");
  const payloadText = Buffer.from(payload, "base64url").toString("utf8");
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")),
    payload: JSON.parse(payloadText),
    payloadText,
  };
}

export type Jwk = Record<string, string>;

/** The published keys, read without a token. */
export async function publishedKeys(target: VaultTarget): Promise<Jwk[]> {
  const answer = expectStatus(await call(target.url, "GET", "identity/oidc/.well-known/keys"), 200);
  return (answer.body as { keys: Jwk[] }).keys;
}

const HASHES: Record<string, string | null> = {
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
  EdDSA: null,
};

/** Whether `jwt`'s signature verifies with the published key its `kid` names. */
export function signedBy(jwt: string, keys: readonly Jwk[]): boolean {
  const { header } = decodeJwt(jwt);
  const jwk = keys.find((key) => key.kid === header.kid);
  if (!jwk) return false;
  const [head, body, signature = ""] = jwt.split(".");
  const key = createPublicKey({ key: jwk, format: "jwk" });
  return verify(
    HASHES[String(header.alg)] ?? null,
    Buffer.from(`${head}.${body}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
}

/** A target with helpers to make keys and roles under its prefix, removed by `stop`. */
export async function identityTarget() {
  const target = await startTarget();
  const root = rootCaller(target);
  const keys: string[] = [];
  const roles: string[] = [];
  let n = 0;
  const key = async (body: Record<string, unknown> = {}) => {
    const name = `${target.prefix}-key-${++n}`;
    expectStatus(await root("POST", `identity/oidc/key/${name}`, body), 204);
    keys.push(name);
    return name;
  };
  const role = async (body: Record<string, unknown>, name = `${target.prefix}-role-${++n}`) => {
    expectStatus(await root("POST", `identity/oidc/role/${name}`, body), 204);
    roles.push(name);
    return name;
  };
  const stop = async () => {
    for (const name of roles) await root("DELETE", `identity/oidc/role/${name}`);
    for (const name of keys) await root("DELETE", `identity/oidc/key/${name}`);
    await target.stop();
  };
  return { target, root, key, role, stop, prefix: target.prefix };
}

export type IdentityFixture = Awaited<ReturnType<typeof identityTarget>>;
