/**
 * `VaultTransit` against the double over real loopback HTTP (and a real Vault with
 * `VAULT_ADDR`/`VAULT_TOKEN`, see target.ts): ed25519 keys, their public keys, rotation,
 * min versions and signing. The double-only block feeds the client malformed answers to
 * check that it parses strictly.
 */
import { verify } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { VaultTransit } from "../../src/vault/transit.js";
import { call, tokenWithPolicies } from "./double-http.js";
import { expectNoSecrets, rejection } from "./helpers.js";
import { describeContract, describeDoubleOnly, startTarget, type VaultTarget } from "./target.js";

const INPUT = Buffer.from("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0");

/** A target with a transit mount of its own (deleted by `stop`) and a client on it. */
async function transitTarget(label: string) {
  const target = await startTarget();
  const mount = `${target.prefix}-${label}`;
  const root = (method: string, path: string, body?: unknown) =>
    call(target.url, method, path, { token: target.rootToken, body });
  expect((await root("POST", `sys/mounts/${mount}`, { type: "transit" })).status).toBe(204);
  const transit = new VaultTransit(target.client(), mount);
  const stop = async () => {
    await root("DELETE", `sys/mounts/${mount}`);
    await target.stop();
  };
  return { target, mount, transit, stop };
}

describeContract("VaultTransit client", () => {
  let target: VaultTarget;
  let mount: string;
  let transit: VaultTransit;
  let stop: () => Promise<void>;
  let n = 0;
  const fresh = (label: string) => `${label}-${++n}`;

  beforeAll(async () => {
    ({ target, mount, transit, stop } = await transitTarget("transit-client"));
  });
  afterAll(() => stop());

  it("createKey makes version 1 with its public key; again it keeps the key", async () => {
    const name = fresh("create");
    const created = await transit.createKey(name);
    expect(created.created).toBe(true);
    expect(created).toMatchObject({
      name,
      latestVersion: 1,
      minDecryptionVersion: 1,
      minEncryptionVersion: 0,
    });
    const first = created.publicKeys.get(1);
    expect(first?.raw.length).toBe(32);
    expect(first?.publicKey.asymmetricKeyType).toBe("ed25519");
    expect(first?.createdAt.getTime()).not.toBeNaN();
    const again = await transit.createKey(name);
    expect(again.created).toBe(false);
    expect(again.publicKeys.get(1)?.raw.equals(first?.raw ?? Buffer.alloc(0))).toBe(true);
  });

  it("readKey answers the same key; a missing key rejects vault_not_found", async () => {
    const name = fresh("read");
    const created = await transit.createKey(name);
    const read = await transit.readKey(name);
    expect(read.publicKeys.get(1)?.raw.equals(created.publicKeys.get(1)?.raw as Buffer)).toBe(true);
    expect((await rejection(transit.readKey(fresh("missing")))).code).toBe("vault_not_found");
  });

  it("sign returns 64 raw bytes that verify with the published key of that version", async () => {
    const name = fresh("sign");
    const key = await transit.createKey(name);
    const signed = await transit.sign(name, INPUT);
    expect(signed.keyVersion).toBe(1);
    expect(signed.signature.length).toBe(64);
    const published = key.publicKeys.get(1)?.publicKey;
    expect(published).toBeDefined();
    expect(verify(null, INPUT, published as never, signed.signature)).toBe(true);
    expect(verify(null, Buffer.from("other"), published as never, signed.signature)).toBe(false);
  });

  it("after rotateKey, the latest signs; keyVersion picks an older one", async () => {
    const name = fresh("rotate");
    await transit.createKey(name);
    const rotated = await transit.rotateKey(name);
    expect(rotated.latestVersion).toBe(2);
    expect([...rotated.publicKeys.keys()]).toEqual([1, 2]);
    const v1 = rotated.publicKeys.get(1)?.publicKey as never;
    const v2 = rotated.publicKeys.get(2)?.publicKey as never;
    const latest = await transit.sign(name, INPUT);
    expect(latest.keyVersion).toBe(2);
    expect(verify(null, INPUT, v2, latest.signature)).toBe(true);
    expect(verify(null, INPUT, v1, latest.signature)).toBe(false);
    const old = await transit.sign(name, INPUT, { keyVersion: 1 });
    expect(old.keyVersion).toBe(1);
    expect(verify(null, INPUT, v1, old.signature)).toBe(true);
    expect(verify(null, INPUT, v2, old.signature)).toBe(false);
  });

  it("signBatch signs every input in order; no inputs, no request", async () => {
    const name = fresh("batch");
    const key = await transit.createKey(name);
    const inputs = [Buffer.from("a"), Buffer.from("b"), Buffer.from("c")];
    const signed = await transit.signBatch(name, inputs);
    expect(signed.map((item) => item.keyVersion)).toEqual([1, 1, 1]);
    const published = key.publicKeys.get(1)?.publicKey as never;
    for (const [i, item] of signed.entries()) {
      expect(verify(null, inputs[i] as Buffer, published, item.signature)).toBe(true);
    }
    expect(await transit.signBatch(name, [])).toEqual([]);
  });

  it("configureKey: min_encryption_version refuses an older keyVersion with a typed error", async () => {
    const name = fresh("pinned");
    await transit.createKey(name);
    await transit.rotateKey(name);
    const configured = await transit.configureKey(name, { minEncryptionVersion: 2 });
    expect(configured.minEncryptionVersion).toBe(2);
    const refused = await rejection(transit.sign(name, INPUT, { keyVersion: 1 }));
    expect(refused.code).toBe("vault_bad_response");
    expect(refused.message).toContain("less than the minimum encryption key version");
    expect(refused.hint).toContain("leave keyVersion out");
    expect((await transit.sign(name, INPUT)).keyVersion).toBe(2);
  });

  it("configureKey: min_decryption_version hides older public keys; Vault's 400s come back", async () => {
    const name = fresh("archive");
    await transit.createKey(name);
    await transit.rotateKey(name);
    const raised = await transit.configureKey(name, { minDecryptionVersion: 2 });
    expect([...raised.publicKeys.keys()]).toEqual([2]);
    const tooHigh = await rejection(transit.configureKey(name, { minEncryptionVersion: 5 }));
    expect(tooHigh.code).toBe("vault_bad_response");
    expect(tooHigh.message).toContain("cannot set min encryption version of 5");
  });

  it("signing with a key that does not exist rejects vault_not_found", async () => {
    const error = await rejection(transit.sign(fresh("absent"), INPUT));
    expect(error.code).toBe("vault_not_found");
    expect(error.hint).toContain("type=ed25519");
  });

  it("refuses bad names and versions before any request", async () => {
    for (const name of ["", "../keys", "a/b", "-x", "x?y"]) {
      expect((await rejection(transit.readKey(name))).code).toBe("invalid_input");
    }
    for (const keyVersion of [0, -1, 1.5]) {
      expect((await rejection(transit.sign("k", INPUT, { keyVersion }))).code).toBe(
        "invalid_input",
      );
    }
    expect((await rejection(transit.configureKey("k", { minEncryptionVersion: -1 }))).code).toBe(
      "invalid_input",
    );
  });

  it("a token that may only read keys is denied signing (vault_permission_denied)", async () => {
    const name = fresh("acl");
    await transit.createKey(name);
    const reader = await tokenWithPolicies(
      target.url,
      target.rootToken,
      (label) => target.policyName(label),
      [{ [`${mount}/keys/*`]: ["read"] }],
    );
    const limited = new VaultTransit(
      target.client({ auth: { method: "token", token: reader } }),
      mount,
    );
    expect((await limited.readKey(name)).latestVersion).toBe(1);
    const denied = await rejection(limited.sign(name, INPUT));
    expect(denied.code).toBe("vault_permission_denied");
    expectNoSecrets(denied, [reader]);
  });
});

/** The same signature with non-zero unused bits in its last base64 digit (Buffer ignores them). */
function nonCanonical(signature: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const last = signature.at(-3) as string;
  const changed = alphabet[alphabet.indexOf(last) ^ 1] as string;
  return `${signature.slice(0, -3)}${changed}==`;
}

describeDoubleOnly("VaultTransit parses strictly", "injects malformed answers", () => {
  let target: VaultTarget;
  let mount: string;
  let transit: VaultTransit;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ target, mount, transit, stop } = await transitTarget("transit-strict"));
    await transit.createKey("k");
  });
  afterAll(() => stop());

  /** The next request answers 200 with `data`. */
  const answerNext = (data: unknown) =>
    target.double?.failNext(1, 200, { body: { data, warnings: null } });
  const goodSignature = async () => {
    const signed = await transit.sign("k", INPUT);
    return `vault:v1:${signed.signature.toString("base64")}`;
  };

  it("a refused sign is sent once: batch items come back in a 200, never as a retried 500", async () => {
    await transit.rotateKey("k");
    await transit.configureKey("k", { minEncryptionVersion: 2 });
    target.double?.clearRequests();
    await rejection(transit.sign("k", INPUT, { keyVersion: 1 }));
    expect(target.double?.countRequests({ path: `/v1/${mount}/sign/` })).toBe(1);
    await transit.configureKey("k", { minEncryptionVersion: 0 });
  });

  it("rejects signatures that are not vault:v<N>:<base64 of 64 bytes> for key_version N", async () => {
    const good = await goodSignature();
    const bad = [
      good.replace("vault:v1:", "vault:v01:"),
      good.replace("vault:v1:", "vault:1:"),
      good.replace("vault:v1:", ""),
      `${good.slice(0, -4)}==`,
      good.replace(/==$/, "="),
      nonCanonical(good),
      good.replace("vault:v1:", "vault:v1: "),
      `vault:v1:${Buffer.alloc(64).toString("base64url")}`,
      good.replace("vault:v1:", "vault:v2:"),
    ];
    for (const signature of bad) {
      answerNext({ batch_results: [{ signature, key_version: 1, reference: "0" }] });
      const error = await rejection(transit.sign("k", INPUT));
      expect(error.code, signature).toBe("vault_bad_response");
    }
  });

  it("rejects batch results that do not match the inputs", async () => {
    const signature = await goodSignature();
    const item = { signature, key_version: 1, reference: "0" };
    for (const batch_results of [[], [item, item], [{ ...item, reference: "1" }]]) {
      answerNext({ batch_results });
      expect((await rejection(transit.sign("k", INPUT))).code).toBe("vault_bad_response");
    }
  });

  it("rejects key answers with a bad public key, another key type or no latest version", async () => {
    const key = (
      extra: Record<string, unknown>,
      publicKey = Buffer.alloc(32).toString("base64"),
    ) => ({
      name: "k",
      type: "ed25519",
      latest_version: 1,
      min_decryption_version: 1,
      min_encryption_version: 0,
      keys: {
        "1": {
          creation_time: "2026-01-15T10:30:00.123456789Z",
          name: "ed25519",
          public_key: publicKey,
        },
      },
      ...extra,
    });
    const bad = [
      key({}, Buffer.alloc(31).toString("base64")),
      key({}, `-----BEGIN PUBLIC KEY-----`),
      key({ type: "ecdsa-p256" }),
      key({ derived: true }),
      key({ latest_version: 2 }),
      key({ keys: { "01": { creation_time: "x", name: "ed25519", public_key: "" } } }),
    ];
    for (const data of bad) {
      answerNext(data);
      expect((await rejection(transit.readKey("k"))).code).toBe("vault_bad_response");
    }
    answerNext(key({}));
    expect((await transit.readKey("k")).publicKeys.get(1)?.raw.equals(Buffer.alloc(32))).toBe(true);
  });
});
