/**
 * The Vault identity path of `AuthService.verifyToken`: which tokens take it, and the
 * {@link AuthContext} a verified one becomes.
 *
 * The route is chosen from the token's unverified `iss` alone, and only chooses which
 * verifier runs; each verifier then checks everything itself, with its own keys and
 * algorithms, so no token can pick a weaker path:
 * - `iss` exactly the Vault identity issuer: Vault's published keys and the configured
 *   algorithms only (never our HS256 secrets or EdDSA keys), that issuer and audience again.
 * - anything else: ours only (HS256, or EdDSA with a `<issuer>.v<N>` kid and our public
 *   keys); Vault's RS/ES algorithms and its UUID key IDs fail our header check.
 * A token Vault signs always carries Vault's `iss`: a role template cannot set it (reserved
 * claims are skipped; hashicorp/vault `vault/identity_store_oidc.go` `reservedClaims`,
 * `idToken.generatePayload`; docs/vault-contract.md row 61). So a token signed with our
 * secret cannot pass as a Vault entity, nor a token Vault signed as one of ours.
 */
import { AuthContext } from "../auth-context.js";
import { AuthError } from "../errors.js";
import { assertValidGroupName } from "../groups/group.js";
import type { GroupRegistry } from "../groups/registry.js";
import type { IssuerPolicy } from "../tokens/issuer-policy.js";
import type { VaultIdentity, VaultIdentityVerifier } from "./vault-identity.js";

/** What `AuthService` needs of a Vault identity verifier. */
export type VaultIdentityTokenVerifier = Pick<VaultIdentityVerifier, "issuer" | "verify">;

/**
 * Longer tokens are not decoded to route them: they go to our path, which refuses them as
 * too large (both verifiers default to 8 KiB).
 */
const MAX_ROUTED_TOKEN_BYTES = 64 * 1024;

/** The prefix of a Vault identity token's {@link AuthContext.tokenId}. */
export const VAULT_IDENTITY_TOKEN_ID_PREFIX = "vault-identity";

/**
 * Whether the token's payload, unverified, has `iss` equal to `issuer` (exactly, as jose
 * compares it). Never throws: anything undecodable is "no", and our path says what is wrong.
 */
export function namesIssuer(token: unknown, issuer: string): boolean {
  if (typeof token !== "string" || token.length > MAX_ROUTED_TOKEN_BYTES) return false;
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (first <= 0 || second < 0) return false;
  try {
    const text = Buffer.from(token.slice(first + 1, second), "base64url").toString("utf8");
    const payload: unknown = JSON.parse(text);
    return (
      typeof payload === "object" &&
      payload !== null &&
      (payload as { iss?: unknown }).iss === issuer
    );
  } catch {
    return false;
  }
}

/**
 * `vault-identity:<entity id>:<iat>`. Vault's tokens have no `jti` (a template may add one,
 * which is ignored: it is not ours to look up). The id names the token in logs and audit
 * events; two tokens of one entity issued within a second share it, and nothing can be
 * revoked by it (Vault tokens are not in our store: a short role `ttl` bounds them).
 */
export function vaultIdentityTokenId(
  identity: Pick<VaultIdentity, "subject" | "issuedAt">,
): string {
  const iat = Math.floor(identity.issuedAt.getTime() / 1000);
  return `${VAULT_IDENTITY_TOKEN_ID_PREFIX}:${identity.subject}:${iat}`;
}

/** Verifies Vault identity tokens into contexts whose groups our registry grants. */
export class VaultIdentityAuth {
  constructor(
    private readonly verifier: VaultIdentityTokenVerifier,
    private readonly registry: GroupRegistry,
    private readonly policy: IssuerPolicy,
  ) {}

  /** Whether `token` takes this path (see the module comment). */
  routes(token: unknown): boolean {
    return namesIssuer(token, this.verifier.issuer);
  }

  /**
   * The context of a verified Vault identity token. Its groups (the verifier's mapping)
   * count only when our registry has them active; the issuer rules then apply to Vault's
   * issuer like to any other (`admin` only when `adminIssuers` lists it).
   */
  async verify(token: string): Promise<AuthContext> {
    const identity = await this.verifier.verify(token);
    const tokenId = vaultIdentityTokenId(identity);
    const groups = await this.activeGroups(identity.groups);
    const forbidden = this.policy.forbiddenGroup(identity.claims.iss, groups);
    if (forbidden !== undefined) {
      throw new AuthError(
        "issuer_untrusted",
        `Vault identity tokens may not grant the group '${forbidden}'`,
        {
          hint: "leave the group out of the role's template or mapping, or list Vault's issuer in adminIssuers / issuerGroups",
          details: { token_id: tokenId },
        },
      );
    }
    const claims = { ...identity.claims, jti: tokenId, groups };
    return new AuthContext(claims, identity.keyId, "vault-identity");
  }

  /** The names our registry has as active groups, in the token's order. */
  private async activeGroups(names: readonly string[]): Promise<string[]> {
    const active: string[] = [];
    for (const name of names) {
      if (!isGroupName(name)) continue; // e.g. a Vault group "Platform Team": never one of ours
      const group = await this.registry.getByName(name);
      if (group?.isActive) active.push(group.name);
    }
    return active;
  }
}

function isGroupName(name: string): boolean {
  try {
    assertValidGroupName(name);
    return true;
  } catch {
    return false;
  }
}
