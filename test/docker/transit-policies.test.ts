/**
 * Issue 18: the compose stack's Vault policies (docker/policies/*.hcl, as vault-init.sh
 * writes them) loaded into the Vault double with a Transit mount: a service may read EdDSA
 * issuers' public keys and never sign (a verifier must not be able to mint), the operator
 * may create, rotate, retire and sign. The double evaluates them with Vault's ACL algorithm
 * and the Transit paths' capabilities (docs/vault-contract.md row 44: every Transit write is
 * an `update`, no existence check).
 */
import { verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TRANSIT_MOUNT, transitKeyName } from "../../src/defaults.js";
import { type AuthError, isAuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { VaultTransit } from "../../src/vault/transit.js";
import { policyRules } from "../support/policy-rules.js";

const KEY = transitKeyName("deposito");
const INPUT = Buffer.from("eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkZXBvc2l0byJ9");

let vault: VaultDouble;
const clients: VaultClient[] = [];

/** A Transit client whose token carries the compose stack's policy `name`. */
function transitAs(name: string): VaultTransit {
  vault.setPolicy(name, policyRules(`docker/policies/${name}.hcl`));
  const client = new VaultClient({
    address: vault.url,
    auth: { method: "token", token: vault.createToken({ policies: [name] }) },
    maxRetries: 0,
    logger: silentLogger,
  });
  clients.push(client);
  return new VaultTransit(client, DEFAULT_TRANSIT_MOUNT);
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  vault = new VaultDouble();
  await vault.start();
  vault.mountTransit(DEFAULT_TRANSIT_MOUNT);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await vault.close();
});

describe("docker/policies on Transit", () => {
  it("the operator (gofr-admin) creates, rotates, retires and signs with an issuer's key", async () => {
    const admin = transitAs("gofr-admin");
    const created = await admin.createKey(KEY);
    expect(created.created).toBe(true);
    expect((await admin.rotateKey(KEY)).latestVersion).toBe(2);
    const retired = await admin.configureKey(KEY, { minDecryptionVersion: 2 });
    expect([...retired.publicKeys.keys()]).toEqual([2]);
    const signed = await admin.sign(KEY, INPUT);
    expect(signed.keyVersion).toBe(2);
    const publicKey = retired.publicKeys.get(2)?.publicKey;
    expect(publicKey && verify(null, INPUT, publicKey, signed.signature)).toBe(true);
  });

  for (const service of ["gofr-web", "gofr-mcp"]) {
    it(`a service (${service}) reads the issuer's public keys but gets 403 on sign`, async () => {
      const admin = transitAs("gofr-admin");
      await admin.createKey(KEY); // kept as it is when the first test made it
      const transit = transitAs(service);
      const read = await transit.readKey(KEY);
      expect(read.publicKeys.get(read.latestVersion)?.raw.length).toBe(32);
      const denied = await refusal(transit.sign(KEY, INPUT));
      expect(denied.code).toBe("vault_permission_denied");
      expect(denied.details.status).toBe(403);
    });

    it(`a service (${service}) may not create, rotate or retire keys either`, async () => {
      const transit = transitAs(service);
      for (const attempt of [
        transit.createKey(transitKeyName(`${service}-own`)),
        transit.rotateKey(KEY),
        transit.configureKey(KEY, { minDecryptionVersion: 1 }),
      ]) {
        expect((await refusal(attempt)).code).toBe("vault_permission_denied");
      }
    });
  }
});
