/**
 * EdDSA keys in Vault Transit, on the double over loopback HTTP: the public key reader
 * (404 = no key, anything else an outage), the signer (explicit key version; one re-read and
 * retry when Vault refuses the version because the key moved on), and the admin functions
 * (each change appends a `jwt-<issuer>` entry to the change marker).
 */
import { verify } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VaultEdDsaSigner, VaultPublicKeyReader } from "../../src/eddsa/vault.js";
import {
  createVaultEdDsaKey,
  listVaultEdDsaKeys,
  retireVaultEdDsaKeys,
  rotateVaultEdDsaKey,
} from "../../src/eddsa/vault-admin.js";
import { AuthError } from "../../src/errors.js";
import { parseEntry } from "../../src/propagation/marker.js";
import { fingerprintBytes } from "../../src/secrets/fingerprint.js";
import type { VaultTransit } from "../../src/vault/transit.js";
import { rejection } from "../vault/helpers.js";
import { eddsaVault, KEY_PATH, SIGN_PATH } from "./vault-stack.js";

let vault: Awaited<ReturnType<typeof eddsaVault>>;
beforeEach(async () => {
  vault = await eddsaVault();
});
afterEach(() => vault.close());

/** deposito's public keys as the double holds them (raw bytes by version). */
function doubleKeys() {
  const key = vault.double.transitKeys().find((item) => item.name === "jwt-deposito");
  if (!key) throw new Error("no jwt-deposito in the double");
  return key;
}

/** The change marker's entries, parsed, oldest first. */
async function markerEntries(marker: { read(): Promise<{ entries: unknown[] | undefined }> }) {
  return ((await marker.read()).entries ?? []).map(parseEntry);
}

describe("VaultPublicKeyReader", () => {
  it("answers the versions Transit lists: min_decryption_version (the floor) to the latest", async () => {
    const { admin, transit } = vault.stack("operator", "root");
    await createVaultEdDsaKey(admin, "deposito");
    await rotateVaultEdDsaKey(admin, "deposito");
    await rotateVaultEdDsaKey(admin, "deposito");
    await retireVaultEdDsaKeys(admin, "deposito", 2);
    const read = await new VaultPublicKeyReader(transit).read("deposito");
    expect(read.latest).toBe(3);
    expect(read.minVersion).toBe(2);
    expect([...read.keys.keys()]).toEqual([2, 3]);
    for (const [version, { key }] of read.keys) {
      const raw = Buffer.from(key.export({ format: "jwk" }).x as string, "base64url");
      expect(raw.equals(doubleKeys().publicKeys.get(version) as Buffer)).toBe(true);
    }
  });

  it("a key that does not exist (404) is secret_unavailable, remembered as absent", async () => {
    const { publicKeys, transit } = vault.stack("service", "service");
    const error = await rejection(new VaultPublicKeyReader(transit).read("deposito"));
    expect(error.code).toBe("secret_unavailable");
    expect(error.message).toMatch(/^No EdDSA key 'jwt-deposito' in Vault transit mount 'transit'/);
    expect(error.hint).toBe("create one: vault write transit/keys/jwt-deposito type=ed25519");
    await expect(publicKeys.get("deposito")).rejects.toMatchObject({ code: "secret_unavailable" });
    expect(publicKeys.isKnownAbsent("deposito")).toBe(true);
    expect(publicKeys.stats.failures).toBe(0);
  });

  it("a denied read (403) is an outage: not 'no key', not remembered, counted as a failure", async () => {
    const { admin } = vault.stack("operator", "root");
    await createVaultEdDsaKey(admin, "deposito");
    // A role without read on transit/keys (vault-api.md row 44: read needs `read`).
    vault.double.setPolicy("nothing", { "secret/data/other": ["read"] });
    const outsider = vault.stack("outsider", "nothing");
    await expect(outsider.publicKeys.get("deposito")).rejects.toMatchObject({
      code: "vault_permission_denied",
    });
    expect(outsider.publicKeys.isKnownAbsent("deposito")).toBe(false);
    expect(outsider.publicKeys.stats.failures).toBe(1);
  });

  it("a Vault that fails (503) is an outage too", async () => {
    const { admin } = vault.stack("operator", "root");
    await createVaultEdDsaKey(admin, "deposito");
    const service = vault.stack("service", "service");
    vault.double.failNext(1, 503, { match: { method: "GET", path: KEY_PATH } });
    const error = await rejection(service.publicKeys.get("deposito"));
    expect(error.code).not.toBe("secret_unavailable");
    expect(error.category).toBe("unavailable");
    expect(service.publicKeys.isKnownAbsent("deposito")).toBe(false);
  });
});

describe("VaultEdDsaSigner", () => {
  it("signs the input built for the latest version with exactly that version", async () => {
    const { admin, transit } = vault.stack("operator", "root");
    await createVaultEdDsaKey(admin, "deposito");
    await rotateVaultEdDsaKey(admin, "deposito");
    const minter = vault.stack("minter", "minter");
    const asked: number[] = [];
    const signed = await new VaultEdDsaSigner({ transit: minter.transit }).sign(
      "deposito",
      (version) => {
        asked.push(version);
        return Buffer.from(`header-v${version}.payload`);
      },
    );
    expect(asked).toEqual([2]);
    expect(signed.version).toBe(2);
    const v2 = (await transit.readKey("jwt-deposito")).publicKeys.get(2)?.publicKey;
    expect(verify(null, Buffer.from("header-v2.payload"), v2 as never, signed.signature)).toBe(
      true,
    );
    // Without a public key set: one read for the latest version, then one sign request.
    expect(vault.requestsBy(minter, "GET", KEY_PATH)).toHaveLength(1);
    expect(vault.requestsBy(minter, "POST", SIGN_PATH)).toHaveLength(1);
  });

  it("when Vault refuses the cached version (rotated and retired meanwhile), re-reads once and signs with the new one", async () => {
    const operator = vault.stack("operator", "root");
    await createVaultEdDsaKey({ transit: operator.transit }, "deposito");
    const minter = vault.stack("minter", "minter");
    expect((await minter.publicKeys.get("deposito")).latest).toBe(1); // cached for 300 s
    // Without the marker, the minter's cache still says version 1.
    await rotateVaultEdDsaKey({ transit: operator.transit }, "deposito");
    await retireVaultEdDsaKeys({ transit: operator.transit }, "deposito", 2);
    const asked: number[] = [];
    const signed = await minter.signer.sign("deposito", (version) => {
      asked.push(version);
      return Buffer.from(`input-v${version}`);
    });
    expect(asked).toEqual([1, 2]);
    expect(signed.version).toBe(2);
    const sent = vault.requestsBy(minter, "POST", SIGN_PATH).map((entry) => entry.status);
    expect(sent).toEqual([200, 200]); // version 1 refused inside a 200 (batch item), then signed
    expect(vault.requestsBy(minter, "GET", KEY_PATH)).toHaveLength(2);
    expect(minter.publicKeys.current("deposito")?.latest).toBe(2);
  });

  it("a token minted after such a refusal names the version that signed it", async () => {
    const operator = vault.stack("operator", "root");
    await createVaultEdDsaKey({ transit: operator.transit }, "deposito");
    const minter = vault.stack("minter", "minter");
    await minter.publicKeys.get("deposito");
    await rotateVaultEdDsaKey({ transit: operator.transit }, "deposito");
    await retireVaultEdDsaKeys({ transit: operator.transit }, "deposito", 2);
    const minted = await minter.tokens.forIssuer("deposito").mint({ groups: ["public"] });
    expect(minted.kid).toBe("deposito.v2");
    const service = vault.stack("service", "service");
    expect((await service.tokens.verify(minted.token)).key.version).toBe(2);
  });

  it("a refused version is not retried when the latest version did not change", async () => {
    const refusal = new AuthError("vault_bad_response", "refused", {
      details: { version_refused: true },
    });
    let signs = 0;
    const transit = {
      mount: "transit",
      readKey: async () => ({ latestVersion: 1 }),
      sign: async () => {
        signs += 1;
        throw refusal;
      },
    } as unknown as VaultTransit;
    const error = await rejection(
      new VaultEdDsaSigner({ transit }).sign("deposito", () => Buffer.from("x")),
    );
    expect(error).toBe(refusal);
    expect(signs).toBe(1);
  });

  it("an issuer without a key is secret_unavailable, from the read or from the sign", async () => {
    const minter = vault.stack("minter", "minter");
    const uncached = new VaultEdDsaSigner({ transit: minter.transit });
    expect((await rejection(uncached.sign("deposito", () => Buffer.from("x")))).code).toBe(
      "secret_unavailable",
    );
    // Deleted between the read and the sign: Vault's 400 "signing key not found" (row 52).
    const transit = {
      mount: "transit",
      readKey: async () => ({ latestVersion: 1 }),
      sign: minter.transit.sign.bind(minter.transit),
    } as unknown as VaultTransit;
    const deleted = await rejection(
      new VaultEdDsaSigner({ transit }).sign("deposito", () => Buffer.from("x")),
    );
    expect(deleted.code).toBe("secret_unavailable");
    expect(vault.requestsBy(minter, "POST", SIGN_PATH)).toHaveLength(1);
  });
});

describe("Vault EdDSA key admin", () => {
  it("create, rotate and retire each append a jwt-<issuer> entry to the change marker", async () => {
    const { admin, marker } = vault.stack("operator", "operator");
    const created = await createVaultEdDsaKey(admin, "deposito");
    const rotated = await rotateVaultEdDsaKey(admin, "deposito");
    const listing = await retireVaultEdDsaKeys(admin, "deposito", 2);
    const entries = await markerEntries(marker);
    expect(
      entries.map((entry) => entry && { kind: entry.kind, name: "name" in entry && entry.name }),
    ).toEqual([
      { kind: "secret", name: "jwt-deposito" },
      { kind: "secret", name: "jwt-deposito" },
      { kind: "secret", name: "jwt-deposito" },
    ]);
    expect(entries.map((entry) => entry && "version" in entry && entry.version)).toEqual([1, 2, 2]);
    expect(created.version).toBe(1);
    expect(rotated.version).toBe(2);
    expect(rotated.fingerprint).toBe(fingerprintBytes(doubleKeys().publicKeys.get(2) as Buffer));
    expect(listing).toMatchObject({
      issuer: "deposito",
      key: "jwt-deposito",
      latest: 2,
      minVersion: 2,
    });
    expect(listing.versions.map((version) => version.version)).toEqual([2]);
    expect(doubleKeys()).toMatchObject({ minDecryptionVersion: 2, minEncryptionVersion: 2 });
  });

  it("listing shows each verifiable version with its fingerprint and creation time", async () => {
    const { admin } = vault.stack("operator", "operator");
    await createVaultEdDsaKey(admin, "deposito");
    vault.clock.advanceSeconds(60);
    await rotateVaultEdDsaKey(admin, "deposito");
    const listing = await listVaultEdDsaKeys(admin, "deposito");
    expect(
      listing.versions.map(({ version, fingerprint, retired }) => ({
        version,
        fingerprint,
        retired,
      })),
    ).toEqual(
      [1, 2].map((version) => ({
        version,
        fingerprint: fingerprintBytes(doubleKeys().publicKeys.get(version) as Buffer),
        retired: false,
      })),
    );
    const [first, second] = listing.versions;
    expect((second?.createdAt.getTime() ?? 0) - (first?.createdAt.getTime() ?? 0)).toBe(60_000);
  });

  it("refuses what cannot be meant, without changing Vault or the marker", async () => {
    const { admin, marker } = vault.stack("operator", "operator");
    await createVaultEdDsaKey(admin, "deposito");
    const before = (await marker.read()).version;
    expect((await rejection(createVaultEdDsaKey(admin, "deposito"))).code).toBe("invalid_input");
    for (const minVersion of [0, 2, 1.5]) {
      const error = await rejection(retireVaultEdDsaKeys(admin, "deposito", minVersion));
      expect(error.message).toBe(
        "minVersion must be a whole number 1..1 (hint: the latest version always signs; rotate first to retire it)",
      );
    }
    expect((await rejection(createVaultEdDsaKey(admin, "Not An Issuer"))).code).toBe(
      "invalid_input",
    );
    expect((await marker.read()).version).toBe(before);
    expect(vault.double.countRequests({ method: "POST", path: `${KEY_PATH}/config` })).toBe(0);
  });

  it("rotating, retiring or listing an issuer without a key is secret_unavailable", async () => {
    const { admin, marker } = vault.stack("operator", "operator");
    expect((await rejection(rotateVaultEdDsaKey(admin, "deposito"))).code).toBe(
      "secret_unavailable",
    );
    expect((await rejection(retireVaultEdDsaKeys(admin, "deposito", 1))).code).toBe(
      "secret_unavailable",
    );
    expect((await rejection(listVaultEdDsaKeys(admin, "deposito"))).code).toBe(
      "secret_unavailable",
    );
    expect((await marker.read()).version).toBe(0);
  });
});
