/**
 * A Vault double with its identity engine set up for service-to-service calls: an OIDC key
 * (RS256) and one of algorithm EdDSA, roles whose `client_id` is the called service's
 * audience (one per key) or another's, and AppRole logins of the calling services, each
 * through the project's own VaultClient. Vault groups carry the caller's entity so the role
 * template `{"groups": {{identity.entity.groups.names}}}` puts their names in the token.
 */
import { VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { DOUBLE_ROOT_TOKEN, testClientDefaults } from "../vault/target.js";

/** The audience of the called service: the `client_id` of the roles callers use. */
export const BILLING_AUDIENCE = "billing-api";

export const ROLES = {
  /** RS256 key, `client_id` billing-api, groups template. */
  billing: "billing",
  /** EdDSA key, `client_id` billing-api, groups template. */
  billingEd: "billing-ed",
  /** RS256 key, another service's `client_id`. */
  elsewhere: "elsewhere",
} as const;

export interface CallerLogin {
  client: VaultClient;
  entityId: string;
  /** `GET identity/oidc/token/<role>` with the caller's own Vault token. */
  identityToken(role?: string): Promise<string>;
}

export interface IdentityPlane {
  vault: VaultDouble;
  url: string;
  /** Vault's effective identity issuer (`identity/oidc/config` issuer + `/v1/identity/oidc`). */
  issuer: string;
  /** `POST /v1/<path>` with the root token; throws unless 2xx. */
  root(path: string, body: unknown): Promise<void>;
  /** Logs a calling service in with AppRole; `vaultGroups` are made (or extended) with its entity. */
  caller(name: string, vaultGroups: readonly string[]): Promise<CallerLogin>;
  close(): Promise<void>;
}

export async function startIdentityPlane(): Promise<IdentityPlane> {
  const vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
  const url = await vault.start();
  const root = async (path: string, body: unknown) => {
    const answer = await fetch(`${url}/v1/${path}`, {
      method: "POST",
      headers: { "X-Vault-Token": DOUBLE_ROOT_TOKEN, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (answer.status >= 300) throw new Error(`POST ${path}: ${await answer.text()}`);
  };
  // The double has no api_addr: without a configured issuer its `iss` has no host (row 64).
  await root("identity/oidc/config", { issuer: url });
  const key = { allowed_client_ids: "*", rotation_period: "1h", verification_ttl: "2h" };
  await root("identity/oidc/key/svc", key);
  await root("identity/oidc/key/svc-ed", { ...key, algorithm: "EdDSA" });
  const template = '{"groups": {{identity.entity.groups.names}}}';
  const role = { ttl: "15m", client_id: BILLING_AUDIENCE, template };
  await root(`identity/oidc/role/${ROLES.billing}`, { ...role, key: "svc" });
  await root(`identity/oidc/role/${ROLES.billingEd}`, { ...role, key: "svc-ed" });
  await root(`identity/oidc/role/${ROLES.elsewhere}`, {
    ...role,
    key: "svc",
    client_id: "other-api",
  });
  vault.setPolicy("identity-tokens", { "identity/oidc/token/*": ["read"] });

  const members = new Map<string, string[]>();
  const clients: VaultClient[] = [];
  const caller = async (name: string, vaultGroups: readonly string[]): Promise<CallerLogin> => {
    const creds = vault.addAppRole(name, { policies: ["identity-tokens"], tokenTtlSeconds: 3600 });
    const client = new VaultClient({
      address: url,
      auth: { method: "approle", ...creds },
      ...testClientDefaults(),
    });
    clients.push(client);
    const self = (await client.request("GET", "auth/token/lookup-self")) as {
      data: { entity_id: string };
    };
    const entityId = self.data.entity_id;
    for (const group of vaultGroups) {
      const ids = [...(members.get(group) ?? []), entityId];
      members.set(group, ids);
      await root("identity/group", { name: group, member_entity_ids: ids });
    }
    const identityToken = async (roleName: string = ROLES.billing) => {
      const answer = (await client.request("GET", `identity/oidc/token/${roleName}`)) as {
        data: { token: string };
      };
      return answer.data.token;
    };
    return { client, entityId, identityToken };
  };

  return {
    vault,
    url,
    issuer: `${url}/v1/identity/oidc`,
    root,
    caller,
    close: async () => {
      await Promise.all(clients.map((client) => client.close()));
      await vault.close();
    },
  };
}
