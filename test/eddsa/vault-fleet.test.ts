/**
 * An EdDSA issuer on Vault Transit across processes: a minter whose role may sign, a service
 * whose role may only read `transit/keys` (policies set here, ACL rules of vault-api.md row
 * 44), and an operator who rotates and retires. Every stack caches public keys for 300 s,
 * so a change seen 2 s after it was made is the change marker's doing.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createVaultEdDsaKey,
  retireVaultEdDsaKeys,
  rotateVaultEdDsaKey,
} from "../../src/eddsa/vault-admin.js";
import { rejection } from "../vault/helpers.js";
import { eddsaVault, KEY_PATH, outcome, SIGN_PATH, type Stack } from "./vault-stack.js";

let vault: Awaited<ReturnType<typeof eddsaVault>>;
let operator: Stack;
let minter: Stack;
let service: Stack;

beforeEach(async () => {
  vault = await eddsaVault();
  operator = vault.stack("operator", "operator");
  await createVaultEdDsaKey(operator.admin, "deposito");
  minter = vault.stack("minter", "minter");
  service = vault.stack("service", "service");
  await minter.poller.start();
  await service.poller.start();
});
afterEach(() => vault.close());

const mint = (stack: Stack) => stack.tokens.forIssuer("deposito").mint({ groups: ["public"] });

describe("roles", () => {
  it("the minter signs on Vault; the service, allowed only to read transit/keys, verifies", async () => {
    const minted = await mint(minter);
    expect(minted.kid).toBe("deposito.v1");
    const verified = await service.tokens.verify(minted.token);
    expect(verified.key).toMatchObject({ name: "jwt-deposito", version: 1, algorithm: "EdDSA" });
    expect(vault.requestsBy(minter, "POST", SIGN_PATH).map((entry) => entry.status)).toEqual([200]);
    expect(vault.requestsBy(service, "GET", KEY_PATH).map((entry) => entry.status)).toEqual([200]);
  });

  it("the service's role gets 403 from Vault when it tries to sign: vault_permission_denied", async () => {
    const error = await rejection(mint(service));
    expect(error.code).toBe("vault_permission_denied");
    // The service's own configuration, not the caller's fault: a 503 to whoever asked.
    expect(error.category).toBe("unavailable");
    // It read the latest version (allowed), then one sign request was denied, not retried.
    expect(vault.requestsBy(service, "POST", SIGN_PATH).map((entry) => entry.status)).toEqual([
      403,
    ]);
  });
});

describe("rotation and retirement through the change marker", () => {
  it("a rotation reaches the service within one poll interval, before any token names it", async () => {
    const old = await mint(minter);
    await service.tokens.verify(old.token);
    expect(service.publicKeys.current("deposito")?.latest).toBe(1);

    await rotateVaultEdDsaKey(operator.admin, "deposito");
    await vault.timers.advance(1_999);
    expect(service.publicKeys.current("deposito")?.latest).toBe(1);
    expect(vault.requestsBy(service, "GET", KEY_PATH)).toHaveLength(1);

    await vault.timers.advance(1); // both pollers see the jwt-deposito entry
    expect(service.publicKeys.current("deposito")?.latest).toBe(2);
    expect(vault.requestsBy(service, "GET", KEY_PATH)).toHaveLength(2);
    expect(service.poller.stats).toMatchObject({ changesApplied: 1, resyncs: 0 });

    const fresh = await mint(minter);
    expect(fresh.kid).toBe("deposito.v2"); // the minter follows the marker too
    expect(await outcome(service.tokens.verify(fresh.token))).toBe("accepted");
    expect(await outcome(service.tokens.verify(old.token))).toBe("accepted"); // v1 still verifies
    expect(vault.requestsBy(service, "GET", KEY_PATH)).toHaveLength(2); // no read for v2
    expect(vault.requestsBy(minter, "GET", KEY_PATH)).toHaveLength(2);
  });

  it("a retirement refuses the old version's tokens after the next poll, and not before", async () => {
    const old = await mint(minter);
    expect(await outcome(service.tokens.verify(old.token))).toBe("accepted");
    await rotateVaultEdDsaKey(operator.admin, "deposito");
    await vault.timers.advance(2_000);
    const fresh = await mint(minter);

    await retireVaultEdDsaKeys(operator.admin, "deposito", 2);
    await vault.timers.advance(1_999);
    expect(await outcome(service.tokens.verify(old.token))).toBe("accepted");

    await vault.timers.advance(1);
    const refused = await rejection(service.tokens.verify(old.token));
    expect(refused.code).toBe("token_invalid");
    expect(refused.message).toMatch(/deposito\.v1, which is retired/);
    expect(await outcome(service.tokens.verify(fresh.token))).toBe("accepted");
    expect(service.publicKeys.current("deposito")).toMatchObject({ latest: 2, minVersion: 2 });
  });
});
