/**
 * `TokenService.mintMany` (issue 18): every option checked before anything is signed, and
 * an EdDSA issuer's batch signed in one `signMany` call, which on Vault is one Transit
 * `batch_input` request (vault-api.md row 52) with one explicit `key_version`, retried once
 * for the whole batch when Vault refuses that version (row 53). Other issuers and signers
 * without `signMany` mint one token at a time.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MemoryEdDsaKeys } from "../../src/eddsa/memory.js";
import { PublicKeySet } from "../../src/eddsa/public-key-set.js";
import type { EdDsaSigner } from "../../src/eddsa/signer.js";
import { SqliteEdDsaSigner, SqlitePublicKeyReader } from "../../src/eddsa/sqlite.js";
import { createEdDsaKey, rotateEdDsaKey } from "../../src/eddsa/sqlite-admin.js";
import { VaultEdDsaSigner } from "../../src/eddsa/vault.js";
import {
  createVaultEdDsaKey,
  retireVaultEdDsaKeys,
  rotateVaultEdDsaKey,
} from "../../src/eddsa/vault-admin.js";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { openAuthDatabase } from "../../src/sqlite/database.js";
import { ManualClock } from "../../src/testing/index.js";
import { MAX_MINT_BATCH, type MintOptions } from "../../src/tokens/token-service.js";
import type { VaultTransit } from "../../src/vault/transit.js";
import { useTempDirs } from "../sqlite/helpers.js";
import { rejection } from "../vault/helpers.js";
import { fleet } from "./fleet.js";
import { eddsaVault, KEY_PATH, SIGN_PATH } from "./vault-stack.js";

const temp = useTempDirs();

/** `count` distinct options: each token named, so each one is told apart. */
function batch(count: number): MintOptions[] {
  return Array.from({ length: count }, (_, index) => ({
    groups: ["public"],
    name: `bulk-${index}`,
    extraClaims: { n: index },
  }));
}

describe("mintMany through Vault Transit", () => {
  let vault: Awaited<ReturnType<typeof eddsaVault>>;
  beforeEach(async () => {
    vault = await eddsaVault();
    await createVaultEdDsaKey(vault.stack("operator", "root").admin, "deposito");
  });
  afterEach(() => vault.close());

  it("signs 50 tokens with exactly one transit/sign request, and every one verifies", async () => {
    const minter = vault.stack("minter", "minter");
    const minted = await minter.tokens.forIssuer("deposito").mintMany(batch(50));
    expect(vault.requestsBy(minter, "POST", SIGN_PATH)).toHaveLength(1);
    expect(minted).toHaveLength(50);
    expect(new Set(minted.map((item) => item.claims.jti)).size).toBe(50);
    const service = vault.stack("service", "service");
    for (const [index, item] of minted.entries()) {
      expect(item.kid).toBe("deposito.v1");
      expect(item.record).toMatchObject({ id: item.claims.jti, name: `bulk-${index}` });
      expect(item.record).toMatchObject({ issuer: "deposito", keyLabel: "deposito" });
      const verified = await service.tokens.verify(item.token);
      expect(verified.claims).toMatchObject({ jti: item.claims.jti, name: `bulk-${index}` });
      expect(verified.claims.n).toBe(index);
      expect(verified.key).toMatchObject({ algorithm: "EdDSA", version: 1 });
    }
  });

  it("a batch refused for its version (rotated and retired meanwhile) is re-read and signed once more, whole", async () => {
    const operator = vault.stack("operator-2", "root");
    const minter = vault.stack("minter", "minter");
    expect((await minter.publicKeys.get("deposito")).latest).toBe(1); // cached for 300 s
    // min_encryption_version raised past the cached version (vault-api.md row 53).
    await rotateVaultEdDsaKey(operator.admin, "deposito");
    await retireVaultEdDsaKeys(operator.admin, "deposito", 2);
    const minted = await minter.tokens.forIssuer("deposito").mintMany(batch(5));
    // Version 1 refused as items inside a 200 (row 52), then the batch signed with version 2.
    const sent = vault.requestsBy(minter, "POST", SIGN_PATH).map((entry) => entry.status);
    expect(sent).toEqual([200, 200]);
    expect(minted.map((item) => item.kid)).toEqual(Array(5).fill("deposito.v2"));
    const service = vault.stack("service", "service");
    for (const item of minted) {
      expect((await service.tokens.verify(item.token)).key.version).toBe(2);
    }
  });

  it("one bad option mints nothing: no key read, no sign request", async () => {
    const minter = vault.stack("minter", "minter");
    const options = batch(3);
    options[1] = { groups: ["public"], extraClaims: { exp: 1 } };
    const error = await rejection(minter.tokens.forIssuer("deposito").mintMany(options));
    expect(error.code).toBe("claims_reserved");
    expect(vault.requestsBy(minter, "POST", SIGN_PATH)).toHaveLength(0);
    expect(vault.requestsBy(minter, "GET", KEY_PATH)).toHaveLength(0);
  });

  it(`more than ${MAX_MINT_BATCH} options is invalid_input, with nothing signed`, async () => {
    const minter = vault.stack("minter", "minter");
    const tokens = minter.tokens.forIssuer("deposito");
    const error = await rejection(tokens.mintMany(batch(MAX_MINT_BATCH + 1)));
    expect(error.code).toBe("invalid_input");
    expect(error.message).toContain(`At most ${MAX_MINT_BATCH} tokens`);
    expect(vault.requestsBy(minter, "POST", SIGN_PATH)).toHaveLength(0);
  });
});

describe("VaultEdDsaSigner.signMany", () => {
  /** A transit whose batch sign always fails with `refusal`; latest version stays 1. */
  function refusingTransit(refusal: AuthError) {
    const calls = { reads: 0, batches: 0, singles: 0 };
    const transit = {
      mount: "transit",
      readKey: async () => {
        calls.reads += 1;
        return { latestVersion: 1 };
      },
      sign: async () => {
        calls.singles += 1;
        throw new Error("signMany must not sign one by one");
      },
      signBatch: async () => {
        calls.batches += 1;
        throw refusal;
      },
    } as unknown as VaultTransit;
    return { signer: new VaultEdDsaSigner({ transit }), calls };
  }

  it("a refused item rejects the whole call; not retried when the latest version did not change", async () => {
    const refusal = new AuthError("vault_bad_response", "refused item 7", {
      details: { index: 7, version_refused: true },
    });
    const { signer, calls } = refusingTransit(refusal);
    const inputs = () => Array.from({ length: 10 }, (_, index) => Buffer.from(`in-${index}`));
    expect(await rejection(signer.signMany("deposito", inputs))).toBe(refusal);
    expect(calls).toEqual({ reads: 2, batches: 1, singles: 0 });
  });

  it("an item refused for another reason than its version is not retried at all", async () => {
    const refusal = new AuthError("vault_bad_response", "refused item 0", {
      details: { index: 0, version_refused: false },
    });
    const { signer, calls } = refusingTransit(refusal);
    expect(await rejection(signer.signMany("deposito", () => [Buffer.from("x")]))).toBe(refusal);
    expect(calls).toEqual({ reads: 1, batches: 1, singles: 0 });
  });
});

describe("mintMany without Transit", () => {
  it("an HS256 issuer mints one by one with its own key, and every token verifies", async () => {
    const { tokens } = fleet();
    const minted = await tokens.forIssuer("billing").mintMany(batch(3));
    expect(minted.map((item) => item.kid)).toEqual(Array(3).fill("billing.v1"));
    for (const [index, item] of minted.entries()) {
      expect(item.record).toMatchObject({ issuer: "billing", keyLabel: "billing" });
      const verified = await tokens.verify(item.token);
      expect(verified.key.algorithm).toBe("HS256");
      expect(verified.claims.name).toBe(`bulk-${index}`);
    }
  });

  it("the memory signer signs the whole batch in one signMany call", async () => {
    const { tokens, keys } = fleet();
    let batches = 0;
    const signMany = keys.signMany.bind(keys);
    keys.signMany = (issuer, inputs) => {
      batches += 1;
      return signMany(issuer, inputs);
    };
    const minted = await tokens.forIssuer("deposito").mintMany(batch(4));
    expect(batches).toBe(1);
    for (const item of minted) expect((await tokens.verify(item.token)).key.version).toBe(1);
  });

  it("an EdDSA signer without signMany signs each token on its own", async () => {
    let signs = 0;
    const inner: { keys?: MemoryEdDsaKeys } = {};
    const plain: EdDsaSigner = {
      description: "plain",
      sign: (issuer, input) => {
        signs += 1;
        return (inner.keys as MemoryEdDsaKeys).sign(issuer, input);
      },
    };
    const { tokens, keys } = fleet({ tokens: { eddsaSigner: plain } });
    inner.keys = keys;
    const minted = await tokens.forIssuer("deposito").mintMany(batch(3));
    expect(signs).toBe(3);
    expect(minted.map((item) => item.kid)).toEqual(Array(3).fill("deposito.v1"));
    for (const item of minted) expect((await tokens.verify(item.token)).key.version).toBe(1);
  });

  it("the SQLite signer signs a batch with the latest version, in one key read", async () => {
    const database = openAuthDatabase({ path: join(temp.dir(), "auth.db") });
    temp.onCleanup(() => database.close());
    const clock = new ManualClock();
    createEdDsaKey(database, "deposito", { clock: clock.now });
    rotateEdDsaKey(database, "deposito", { clock: clock.now });
    const signer = new SqliteEdDsaSigner({ database });
    temp.onCleanup(() => signer.close());
    const reader = new SqlitePublicKeyReader({ database });
    const publicKeys = new PublicKeySet({ reader, clock: clock.now, logger: silentLogger });
    const { tokens } = fleet({ tokens: { eddsaSigner: signer, publicKeys } });
    const minted = await tokens.forIssuer("deposito").mintMany(batch(3));
    expect(minted.map((item) => item.kid)).toEqual(Array(3).fill("deposito.v2"));
    for (const item of minted) expect((await tokens.verify(item.token)).key.version).toBe(2);
  });
});
