/**
 * The transit secrets engine over HTTP, ed25519 keys only: mount, create, read, list,
 * rotate, config, sign (single and `batch_input`) and the ACL. Contract tests, run against
 * a real Vault too (target.ts): each cites hashicorp `builtin/logical/transit` or
 * `sdk/helper/keysutil/policy.go`. Every block works on a transit mount of its own, removed
 * afterwards.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Answer, call, dataOf, errorsOf, tokenWithPolicies } from "./double-http.js";
import { describeContract, describeDoubleOnly, startTarget, type VaultTarget } from "./target.js";

interface KeyEntry {
  creation_time: string;
  name: string;
  public_key: string;
}

interface KeyData {
  latest_version: number;
  min_decryption_version: number;
  min_encryption_version: number;
  keys: Record<string, KeyEntry>;
}

type Root = (method: string, path: string, body?: unknown) => Promise<Answer>;

/** A node:crypto public key from a `public_key` entry (base64 std of the raw 32 bytes). */
function ed25519Key(publicKey: string) {
  const raw = Buffer.from(publicKey, "base64");
  expect(raw.length).toBe(32);
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") },
    format: "jwk",
  });
}

/** The raw signature bytes of `vault:v<N>:<base64>`, with N checked. */
function signatureBytes(signature: string, version: number): Buffer {
  const prefix = `vault:v${version}:`;
  expect(signature.startsWith(prefix)).toBe(true);
  const raw = Buffer.from(signature.slice(prefix.length), "base64");
  expect(raw.length).toBe(64);
  return raw;
}

/** A root caller and a fresh transit mount of the target's, deleted by the returned stop. */
async function transitTarget(label: string) {
  const target = await startTarget();
  const mount = `${target.prefix}-${label}`;
  const root: Root = (method, path, body) =>
    call(target.url, method, path, { token: target.rootToken, body });
  const mounted = await root("POST", `sys/mounts/${mount}`, { type: "transit" });
  expect(mounted.status).toBe(204);
  const stop = async () => {
    await root("DELETE", `sys/mounts/${mount}`);
    await target.stop();
  };
  return { target, mount, root, stop };
}

const INPUT = Buffer.from("header.payload of a JWT");

describeContract("transit ed25519 keys (path_keys.go, path_rotate.go)", () => {
  let mount: string;
  let root: Root;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ mount, root, stop } = await transitTarget("transit-keys"));
  });
  afterAll(() => stop());

  it("refuses a second mount at the same path (400 path is already in use)", async () => {
    const again = await root("POST", `sys/mounts/${mount}`, { type: "transit" });
    expect(again.status).toBe(400);
    expect(errorsOf(again)[0]).toContain("path is already in use at");
  });

  it("creates a key with version 1 and answers it as formatKeyPolicy does", async () => {
    const created = await root("POST", `${mount}/keys/issuer`, { type: "ed25519" });
    expect(created.status).toBe(200);
    expect((created.body as { mount_type: string }).mount_type).toBe("transit");
    const data = dataOf<KeyData & Record<string, unknown>>(created);
    expect(data).toMatchObject({
      name: "issuer",
      type: "ed25519",
      latest_version: 1,
      min_decryption_version: 1,
      min_encryption_version: 0,
      min_available_version: 0,
      deletion_allowed: false,
      derived: false,
      exportable: false,
      supports_signing: true,
      supports_encryption: false,
      supports_decryption: false,
    });
    expect(Object.keys(data.keys)).toEqual(["1"]);
    const entry = data.keys["1"] as KeyEntry;
    // asymKey through structs.Map: empty fields are present too.
    expect(Object.keys(entry).sort()).toEqual([
      "certificate_chain",
      "creation_time",
      "hybrid_public_key",
      "name",
      "public_key",
    ]);
    expect(entry.name).toBe("ed25519");
    expect(Number.isNaN(Date.parse(entry.creation_time))).toBe(false);
    expect(ed25519Key(entry.public_key).asymmetricKeyType).toBe("ed25519");
  });

  it("reads the key back; a missing key is 404 with no errors", async () => {
    const created = dataOf<KeyData>(
      await root("POST", `${mount}/keys/read-me`, { type: "ed25519" }),
    );
    const read = await root("GET", `${mount}/keys/read-me`);
    expect(read.status).toBe(200);
    expect(dataOf<KeyData>(read)).toEqual(created);
    const missing = await root("GET", `${mount}/keys/nobody`);
    expect(missing.status).toBe(404);
    expect(errorsOf(missing)).toEqual([]);
  });

  it("creating an existing key keeps it and warns 'key <name> already existed'", async () => {
    const first = dataOf<KeyData>(await root("POST", `${mount}/keys/twice`, { type: "ed25519" }));
    const again = await root("POST", `${mount}/keys/twice`, { type: "ed25519" });
    expect(again.status).toBe(200);
    expect((again.body as { warnings: string[] }).warnings).toEqual(["key twice already existed"]);
    expect(dataOf<KeyData>(again).keys["1"]?.public_key).toBe(first.keys["1"]?.public_key);
  });

  it("refuses an unknown key type with 400 'unknown key type <t>'", async () => {
    const answer = await root("POST", `${mount}/keys/odd`, { type: "ed448" });
    expect(answer.status).toBe(400);
    expect(errorsOf(answer)).toEqual(["unknown key type ed448"]);
  });

  it("lists key names (LIST keys/, pathKeysList)", async () => {
    await root("POST", `${mount}/keys/list-b`, { type: "ed25519" });
    await root("POST", `${mount}/keys/list-a`, { type: "ed25519" });
    const listed = await root("GET", `${mount}/keys?list=true`);
    expect(listed.status).toBe(200);
    const keys = dataOf<{ keys: string[] }>(listed).keys;
    expect(keys.filter((name) => name.startsWith("list-"))).toEqual(["list-a", "list-b"]);
  });

  it("rotate adds a version with a new public key and keeps the old one", async () => {
    const before = dataOf<KeyData>(await root("POST", `${mount}/keys/rot`, { type: "ed25519" }));
    const rotated = await root("POST", `${mount}/keys/rot/rotate`);
    expect(rotated.status).toBe(200);
    const after = dataOf<KeyData>(rotated);
    expect(after.latest_version).toBe(2);
    expect(Object.keys(after.keys)).toEqual(["1", "2"]);
    expect(after.keys["1"]?.public_key).toBe(before.keys["1"]?.public_key);
    expect(after.keys["2"]?.public_key).not.toBe(before.keys["1"]?.public_key);
    const missing = await root("POST", `${mount}/keys/nobody/rotate`);
    expect(missing.status).toBe(400);
    expect(errorsOf(missing)).toEqual(["key not found"]);
  });

  it("config: min versions within 1..latest, min encryption >= min decryption (400s)", async () => {
    await root("POST", `${mount}/keys/conf`, { type: "ed25519" });
    await root("POST", `${mount}/keys/conf/rotate`);
    const tooHigh = await root("POST", `${mount}/keys/conf/config`, { min_encryption_version: 3 });
    expect(tooHigh.status).toBe(400);
    expect(errorsOf(tooHigh)).toEqual([
      "cannot set min encryption version of 3, latest key version is 2",
    ]);
    const set = await root("POST", `${mount}/keys/conf/config`, {
      min_decryption_version: 2,
      min_encryption_version: 2,
      deletion_allowed: true,
    });
    expect(set.status).toBe(200);
    expect(dataOf(set)).toMatchObject({
      min_decryption_version: 2,
      min_encryption_version: 2,
      deletion_allowed: true,
    });
    const below = await root("POST", `${mount}/keys/conf/config`, { min_encryption_version: 1 });
    expect(below.status).toBe(400);
    expect(errorsOf(below)).toEqual([
      "cannot set min encryption/decryption values; min encryption version of 1 must be " +
        "greater than or equal to min decryption version of 2",
    ]);
    const missing = await root("POST", `${mount}/keys/nobody/config`, { deletion_allowed: true });
    expect(missing.status).toBe(400);
    expect(errorsOf(missing)).toEqual(["no existing key named nobody could be found"]);
  });

  it("a version below min_decryption_version leaves `keys` (archived) and comes back", async () => {
    await root("POST", `${mount}/keys/arch`, { type: "ed25519" });
    await root("POST", `${mount}/keys/arch/rotate`);
    const raised = await root("POST", `${mount}/keys/arch/config`, { min_decryption_version: 2 });
    expect(Object.keys(dataOf<KeyData>(raised).keys)).toEqual(["2"]);
    const lowered = await root("POST", `${mount}/keys/arch/config`, { min_decryption_version: 1 });
    expect(Object.keys(dataOf<KeyData>(lowered).keys)).toEqual(["1", "2"]);
  });

  it("delete needs deletion_allowed (400 otherwise), then 204", async () => {
    await root("POST", `${mount}/keys/gone`, { type: "ed25519" });
    const refused = await root("DELETE", `${mount}/keys/gone`);
    expect(refused.status).toBe(400);
    expect(errorsOf(refused)).toEqual([
      "error deleting policy gone: deletion is not allowed for this key",
    ]);
    await root("POST", `${mount}/keys/gone/config`, { deletion_allowed: true });
    expect((await root("DELETE", `${mount}/keys/gone`)).status).toBe(204);
    expect((await root("GET", `${mount}/keys/gone`)).status).toBe(404);
  });

  it("an unmatched path is 404 'unsupported path'; a wrong operation 405", async () => {
    const unknown = await root("POST", `${mount}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(errorsOf(unknown)).toEqual(["1 error occurred:\n\t* unsupported path\n\n"]);
    const read = await root("GET", `${mount}/sign/issuer`);
    expect(read.status).toBe(405);
    expect(errorsOf(read)).toEqual(["1 error occurred:\n\t* unsupported operation\n\n"]);
  });
});

describeContract(
  "transit sign with ed25519 (path_sign_verify.go, keysutil SignWithOptions)",
  () => {
    let mount: string;
    let root: Root;
    let stop: () => Promise<void>;
    /** Public keys of key `signer`, versions 1 and 2. */
    let published: Record<string, KeyEntry>;

    beforeAll(async () => {
      ({ mount, root, stop } = await transitTarget("transit-sign"));
      await root("POST", `${mount}/keys/signer`, { type: "ed25519" });
      published = dataOf<KeyData>(await root("POST", `${mount}/keys/signer/rotate`)).keys;
    });
    afterAll(() => stop());

    const sign = (body: Record<string, unknown>, path = `${mount}/sign/signer`) =>
      root("POST", path, body);
    const key = (version: number) => ed25519Key(published[String(version)]?.public_key ?? "");

    it("signs with the latest version; the signature verifies with that version's key only", async () => {
      const answer = await sign({ input: INPUT.toString("base64") });
      expect(answer.status).toBe(200);
      const data = dataOf<{ signature: string; key_version: number }>(answer);
      expect(Object.keys(data).sort()).toEqual(["key_version", "signature"]);
      expect(data.key_version).toBe(2);
      const raw = signatureBytes(data.signature, 2);
      expect(verify(null, INPUT, key(2), raw)).toBe(true);
      expect(verify(null, INPUT, key(1), raw)).toBe(false);
      expect(verify(null, Buffer.from("another input"), key(2), raw)).toBe(false);
    });

    it("signs with an older key_version when asked, verifiable only with that version", async () => {
      const data = dataOf<{ signature: string; key_version: number }>(
        await sign({ input: INPUT.toString("base64"), key_version: 1 }),
      );
      expect(data.key_version).toBe(1);
      const raw = signatureBytes(data.signature, 1);
      expect(verify(null, INPUT, key(1), raw)).toBe(true);
      expect(verify(null, INPUT, key(2), raw)).toBe(false);
    });

    it("signs the input itself, not a hash of it, whatever hash_algorithm says", async () => {
      const digest = createHash("sha256").update(INPUT).digest();
      for (const path of [`${mount}/sign/signer`, `${mount}/sign/signer/sha2-384`]) {
        const data = dataOf<{ signature: string }>(
          await sign({ input: INPUT.toString("base64") }, path),
        );
        const raw = signatureBytes(data.signature, 2);
        expect(verify(null, INPUT, key(2), raw)).toBe(true);
        expect(verify(null, digest, key(2), raw)).toBe(false);
      }
    });

    it("marshaling_algorithm=jws encodes the same kind of signature as unpadded base64url", async () => {
      const data = dataOf<{ signature: string }>(
        await sign({ input: INPUT.toString("base64"), marshaling_algorithm: "jws" }),
      );
      const encoded = data.signature.slice("vault:v2:".length);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]{86}$/);
      expect(verify(null, INPUT, key(2), Buffer.from(encoded, "base64url"))).toBe(true);
    });

    it("batch_input: one result per item, in order, with its reference", async () => {
      const inputs = [Buffer.from("first"), Buffer.from("second")];
      const answer = await sign({
        batch_input: inputs.map((input, i) => ({
          input: input.toString("base64"),
          reference: `r${i}`,
        })),
      });
      expect(answer.status).toBe(200);
      const results = dataOf<{
        batch_results: { signature: string; key_version: number; reference: string }[];
      }>(answer).batch_results;
      expect(results.map((result) => result.reference)).toEqual(["r0", "r1"]);
      for (const [i, result] of results.entries()) {
        expect(result.key_version).toBe(2);
        expect(verify(null, inputs[i] as Buffer, key(2), signatureBytes(result.signature, 2))).toBe(
          true,
        );
      }
      // batchResponseSignItem is a struct: Go writes its fields in declaration order.
      expect(answer.text).toMatch(
        /\{"signature":"vault:v2:[^"]+","key_version":2,"reference":"r0"\}/,
      );
    });

    it("batch_input: a bad item gets its error in a 200, the others are signed", async () => {
      const answer = await sign({
        batch_input: [{ reference: "no-input" }, { input: INPUT.toString("base64") }],
      });
      expect(answer.status).toBe(200);
      const [bad, good] = dataOf<{
        batch_results: { signature?: string; key_version: number; error?: string }[];
      }>(answer).batch_results;
      expect(bad).toEqual({ key_version: 0, error: "missing input", reference: "no-input" });
      expect(good?.signature?.startsWith("vault:v2:")).toBe(true);
      const empty = await sign({ batch_input: [] });
      expect(empty.status).toBe(400);
      expect(errorsOf(empty)).toEqual(["missing batch input to process"]);
    });

    it("input that is not std base64 is 400 with Go's decoder message", async () => {
      const answer = await sign({ input: "not base64!" });
      expect(answer.status).toBe(400);
      expect(errorsOf(answer)).toEqual([
        "unable to decode input as base64: illegal base64 data at input byte 3",
      ]);
    });

    it("a missing key is 400 'signing key not found'", async () => {
      const answer = await sign({ input: "" }, `${mount}/sign/nobody`);
      expect(answer.status).toBe(400);
      expect(errorsOf(answer)).toEqual(["signing key not found"]);
    });

    it("a key_version above the latest is refused; single form 500 (vault#20713)", async () => {
      const single = await sign({ input: INPUT.toString("base64"), key_version: 3 });
      expect(single.status).toBe(500);
      expect(errorsOf(single)).toEqual([
        "1 error occurred:\n\t* requested version for signing is higher than the latest key version\n\n",
      ]);
    });

    it("CE refuses Ed25519ph (sha2-512) as a signer error (keysutil genEd25519Options)", async () => {
      const batch = await sign({
        hash_algorithm: "sha2-512",
        batch_input: [{ input: INPUT.toString("base64") }],
      });
      expect(dataOf<{ batch_results: { error: string }[] }>(batch).batch_results[0]?.error).toBe(
        "error generating Ed25519 options: hash algorithm of SHA2 512 is not supported feature",
      );
    });

    it("min_encryption_version refuses signing with an older key_version", async () => {
      await root("POST", `${mount}/keys/pinned`, { type: "ed25519" });
      await root("POST", `${mount}/keys/pinned/rotate`);
      const config = await root("POST", `${mount}/keys/pinned/config`, {
        min_encryption_version: 2,
      });
      expect(dataOf(config)).toMatchObject({
        min_encryption_version: 2,
        min_decryption_version: 1,
      });
      const path = `${mount}/sign/pinned`;
      const input = INPUT.toString("base64");
      const refusal =
        "requested version for signing is less than the minimum encryption key version";
      const single = await sign({ input, key_version: 1 }, path);
      expect(single.status).toBe(500);
      expect(errorsOf(single)).toEqual([`1 error occurred:\n\t* ${refusal}\n\n`]);
      const batch = await sign({ key_version: 1, batch_input: [{ input }] }, path);
      expect(batch.status).toBe(200);
      expect(dataOf<{ batch_results: unknown[] }>(batch).batch_results).toEqual([
        { key_version: 0, error: refusal, reference: "" },
      ]);
      const allowed = await sign({ input, key_version: 2 }, path);
      expect(dataOf<{ key_version: number }>(allowed).key_version).toBe(2);
      const latest = await sign({ input }, path);
      expect(dataOf<{ key_version: number }>(latest).key_version).toBe(2);
    });

    it("an archived version (below min_decryption_version) has no key entry to sign with", async () => {
      await root("POST", `${mount}/keys/archived`, { type: "ed25519" });
      await root("POST", `${mount}/keys/archived/rotate`);
      await root("POST", `${mount}/keys/archived/config`, { min_decryption_version: 2 });
      const batch = await sign(
        { key_version: 1, batch_input: [{ input: INPUT.toString("base64") }] },
        `${mount}/sign/archived`,
      );
      expect(dataOf<{ batch_results: { error: string }[] }>(batch).batch_results[0]?.error).toBe(
        "no such key version",
      );
    });
  },
);

describeContract("transit ACL (request_handling.go checkToken, no existence check)", () => {
  let target: VaultTarget;
  let mount: string;
  let root: Root;
  let stop: () => Promise<void>;
  const as = (token: string, method: string, path: string, body?: unknown) =>
    call(target.url, method, path, { token, body });
  const token = (rules: Record<string, readonly string[]>) =>
    tokenWithPolicies(target.url, target.rootToken, (label) => target.policyName(label), [rules]);

  beforeAll(async () => {
    ({ target, mount, root, stop } = await transitTarget("transit-acl"));
    await root("POST", `${mount}/keys/k`, { type: "ed25519" });
  });
  afterAll(() => stop());

  it("read on keys/* reads the public keys but gets 403 on sign and rotate", async () => {
    const reader = await token({ [`${mount}/keys/*`]: ["read"] });
    expect((await as(reader, "GET", `${mount}/keys/k`)).status).toBe(200);
    const signed = await as(reader, "POST", `${mount}/sign/k`, { input: "" });
    expect(signed.status).toBe(403);
    expect(errorsOf(signed)).toEqual(["1 error occurred:\n\t* permission denied\n\n"]);
    expect((await as(reader, "POST", `${mount}/keys/k/rotate`)).status).toBe(403);
  });

  it("update on sign/<name> signs with that key only and reads nothing", async () => {
    const signer = await token({ [`${mount}/sign/k`]: ["update"] });
    expect((await as(signer, "POST", `${mount}/sign/k`, { input: "" })).status).toBe(200);
    expect((await as(signer, "POST", `${mount}/sign/other`, { input: "" })).status).toBe(403);
    expect((await as(signer, "GET", `${mount}/keys/k`)).status).toBe(403);
  });

  it("creating a key needs update, not create (the path has no existence check)", async () => {
    const creator = await token({ [`${mount}/keys/*`]: ["create"] });
    expect((await as(creator, "POST", `${mount}/keys/new`, { type: "ed25519" })).status).toBe(403);
    const updater = await token({ [`${mount}/keys/*`]: ["update"] });
    expect((await as(updater, "POST", `${mount}/keys/new`, { type: "ed25519" })).status).toBe(200);
  });
});

describeDoubleOnly("transit: what the double models", "double-specific limits and helpers", () => {
  let target: VaultTarget;
  let mount: string;
  let root: Root;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ target, mount, root, stop } = await transitTarget("transit-double"));
  });
  afterAll(() => stop());

  it("refuses key types other than ed25519 with a 400 that says so", async () => {
    const answer = await root("POST", `${mount}/keys/aes`, { type: "aes256-gcm96" });
    expect(answer.status).toBe(400);
    expect(errorsOf(answer)[0]).toContain("the Vault double creates only non-derived ed25519");
    const derived = await root("POST", `${mount}/keys/drv`, { type: "ed25519", derived: true });
    expect(derived.status).toBe(400);
    expect((await root("GET", `${mount}/keys/aes`)).status).toBe(404);
  });

  it("refuses mount types it does not model", async () => {
    const answer = await root("POST", `sys/mounts/${mount}-pki`, { type: "pki" });
    expect(answer.status).toBe(400);
    expect(errorsOf(answer)[0]).toContain("only mounts KV version 2");
  });

  it("transitKeys() shows the public keys Vault publishes, and nothing private", async () => {
    await root("POST", `${mount}/keys/seen`, { type: "ed25519" });
    const http = dataOf<KeyData>(await root("POST", `${mount}/keys/seen/rotate`));
    const [view] = target.double?.transitKeys({ mount }) ?? [];
    expect(view?.name).toBe("seen");
    expect(view?.latestVersion).toBe(2);
    for (const version of [1, 2]) {
      const published = http.keys[String(version)]?.public_key;
      expect(view?.publicKeys.get(version)?.toString("base64")).toBe(published);
    }
    expect(Object.keys(view ?? {}).sort()).toEqual([
      "latestVersion",
      "minDecryptionVersion",
      "minEncryptionVersion",
      "name",
      "publicKeys",
    ]);
  });

  it("a removed mount answers no route again", async () => {
    const extra = `${mount}-tmp`;
    expect((await root("POST", `sys/mounts/${extra}`, { type: "transit" })).status).toBe(204);
    expect((await root("DELETE", `sys/mounts/${extra}`)).status).toBe(204);
    const gone = await root("GET", `${extra}/keys/x`);
    expect(gone.status).toBe(404);
    expect(errorsOf(gone)[0]).toContain("no handler for route");
  });
});
