/**
 * EdDSA on the Vault double, for the tests of test/eddsa/vault-*.test.ts: a double with a
 * `transit` mount, Vault tokens with the policies a test sets, and "processes" (stacks) that
 * each have their own Vault client, change marker, public key set, signer, token service and
 * poller, as separate processes would. Each client sends its own `X-Vault-Namespace`, which
 * the double records (and does not enforce), so the request log tells whose requests were
 * whose. Polls run on one `ManualTimers` over one `ManualClock`.
 */
import { PublicKeySet } from "../../src/eddsa/public-key-set.js";
import { VaultEdDsaSigner, VaultPublicKeyReader } from "../../src/eddsa/vault.js";
import type { VaultEdDsaAdmin } from "../../src/eddsa/vault-admin.js";
import { silentLogger } from "../../src/log.js";
import { ChangeMarker } from "../../src/propagation/marker.js";
import { ChangePoller } from "../../src/propagation/poller.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { type CapabilityInput, ManualTimers, VaultDouble } from "../../src/testing/vault-double.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { VaultClient } from "../../src/vault/client.js";
import { VaultTransit } from "../../src/vault/transit.js";
import { SHARED } from "./fleet.js";

/** `transit/keys/jwt-deposito`, as the double logs it. */
export const KEY_PATH = "/v1/transit/keys/jwt-deposito";
export const SIGN_PATH = "/v1/transit/sign/jwt-deposito";

/**
 * The roles of issue 18 (ACL rules as vault-api.md row 44 states them: every transit write
 * is `update`; a glob ends a path prefix, so `jwt-*` also covers `/rotate` and `/config`).
 */
export const POLICIES = {
  /** Mints as deposito: reads the latest version, signs with it, follows the marker. */
  minter: {
    "transit/keys/jwt-*": ["read"],
    "transit/sign/jwt-*": ["update"],
    "secret/data/gofr/auth/_changes": ["read"],
  },
  /** Verifies only: public keys and the marker. */
  service: {
    "transit/keys/jwt-*": ["read"],
    "secret/data/gofr/auth/_changes": ["read"],
  },
  /** Creates, rotates and retires keys, and appends to the marker. */
  operator: {
    "transit/keys/jwt-*": ["read", "update"],
    "secret/data/gofr/auth/_changes": ["read", "create", "update"],
  },
} satisfies Record<string, Record<string, readonly CapabilityInput[]>>;

export type Role = keyof typeof POLICIES;

export interface Stack {
  name: string;
  client: VaultClient;
  transit: VaultTransit;
  marker: ChangeMarker;
  publicKeys: PublicKeySet;
  signer: VaultEdDsaSigner;
  tokens: TokenService;
  poller: ChangePoller;
  /** For the admin functions. */
  admin: VaultEdDsaAdmin;
}

/** A double with a transit mount, a clock, timers, and stacks closed by `close()`. */
export async function eddsaVault() {
  const clock = new ManualClock();
  const timers = new ManualTimers(clock);
  const double = new VaultDouble({ clock: clock.now });
  await double.start();
  double.mountTransit();
  for (const [role, rules] of Object.entries(POLICIES)) double.setPolicy(role, rules);
  const stacks: Stack[] = [];

  /**
   * A "process" whose Vault token has the policy `role` (one of {@link POLICIES} or one the
   * test set on the double); `root`: every permission.
   */
  const stack = (name: string, role: Role | "root" | (string & {})): Stack => {
    const token = role === "root" ? double.rootToken : double.createToken({ policies: [role] });
    const client = new VaultClient({
      address: double.url,
      auth: { method: "token", token },
      namespace: name,
      maxRetries: 0,
      retryBaseDelayMs: 0,
      timeoutMs: 3000,
      clock: clock.now,
      logger: silentLogger,
    });
    const transit = new VaultTransit(client);
    const marker = new ChangeMarker({ kv: client.kv(), pathPrefix: "gofr/auth", clock: clock.now });
    // The long TTL of a running service: only the marker (or a forced read) explains a change.
    const publicKeys = new PublicKeySet({
      reader: new VaultPublicKeyReader(transit),
      cacheTtlSeconds: 300,
      clock: clock.now,
      logger: silentLogger,
    });
    const signer = new VaultEdDsaSigner({ transit, publicKeys });
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: SHARED } });
    const tokens = new TokenService({
      keyRing: new KeyRing({ source, clock: clock.now, logger: silentLogger }),
      issuerAlgorithms: { deposito: ["EdDSA"] },
      publicKeys,
      eddsaSigner: signer,
      clock: clock.now,
    });
    const poller = new ChangePoller({
      marker,
      publicKeys,
      intervalSeconds: 2,
      timers,
      clock: clock.now,
    });
    const created = {
      name,
      client,
      transit,
      marker,
      publicKeys,
      signer,
      tokens,
      poller,
      admin: { transit, changes: marker },
    };
    stacks.push(created);
    return created;
  };

  /** Requests by `who` (its namespace) for `method` and `path`. */
  const requestsBy = (who: Stack, method: string, path: string) =>
    double.requests.filter(
      (entry) => entry.namespace === who.name && entry.method === method && entry.path === path,
    );

  const close = async () => {
    for (const item of stacks.splice(0)) {
      item.poller.stop();
      await item.client.close();
    }
    await double.close();
  };
  return { double, clock, timers, stack, requestsBy, close };
}

/** The rejection code of `promise`, or "accepted" when it resolves. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "accepted",
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}
