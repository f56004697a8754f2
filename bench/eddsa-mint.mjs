/**
 * eddsa-mint: minting EdDSA tokens whose private key stays in Vault Transit, against the
 * in-process Vault double over loopback HTTP (server and client share this process, so
 * each round trip costs both sides' CPU). One sign request per token against one
 * `batch_input` request of 100: tokens per second each.
 */
import { randomBytes, randomUUID, verify } from "node:crypto";
import { EDDSA_ISSUER, eddsaAuthService } from "./lib/eddsa-fixtures.mjs";
import { AUDIENCE, MINT_OPTIONS } from "./lib/fixtures.mjs";
import { compare, measured, pick, ratioOf, target, withRatios } from "./lib/harness.mjs";

export const name = "eddsa-mint";
export const title = "Minting EdDSA tokens through Vault Transit (double, loopback): tokens/s";

const BATCH = 100;
/** A round of at least this long: a batch call takes milliseconds. */
const MIN_ROUND_MS = 200;

export async function run({ lib, testing, options, only }) {
  const rootToken = `hvs.bench-${randomBytes(12).toString("hex")}`;
  const vault = new testing.VaultDouble({ rootToken });
  const url = await vault.start();
  const client = new lib.VaultClient({
    address: url,
    auth: { method: "token", token: rootToken },
    logger: lib.silentLogger,
  });
  try {
    vault.mountTransit(lib.DEFAULT_TRANSIT_MOUNT);
    const transit = new lib.VaultTransit(client, lib.DEFAULT_TRANSIT_MOUNT);
    const keyName = lib.transitKeyName(EDDSA_ISSUER);
    const created = await transit.createKey(keyName);
    const version = created.latestVersion;
    const publicKey = created.publicKeys.get(version).publicKey;

    // As a minting service runs it: the latest version from the (warm) public key set, so a
    // mint is one sign request.
    const publicKeys = new lib.PublicKeySet({
      reader: new lib.VaultPublicKeyReader(transit),
      logger: lib.silentLogger,
    });
    const eddsaSigner = new lib.VaultEdDsaSigner({ transit, publicKeys });
    const viaVault = eddsaAuthService(lib, testing, { publicKeys, eddsaSigner }).issuer;
    const inMemory = eddsaAuthService(lib, testing).issuer;

    // Signing inputs shaped like real tokens (distinct jti each), signed by hand below.
    const inputs = Array.from({ length: BATCH }, () => signingInput(version));
    let next = 0;
    const single = async () => {
      const input = inputs[next];
      next = (next + 1) % BATCH;
      return transit.sign(keyName, input, { keyVersion: version });
    };

    const cases = [
      {
        name: "sign-single",
        description: "VaultTransit.sign: one request (a one-item batch_input) per token",
        fn: single,
      },
      {
        name: `sign-batch-${BATCH}`,
        description: `VaultTransit.signBatch: ${BATCH} inputs per request (tokens/s = calls x ${BATCH})`,
        fn: () => transit.signBatch(keyName, inputs, { keyVersion: version }),
      },
      {
        name: "mint-vault",
        description: "TokenService.mint for deposito, VaultEdDsaSigner (one sign request each)",
        fn: () => viaVault.tokens.mint(MINT_OPTIONS),
      },
      {
        name: "mint-memory",
        description: "TokenService.mint for deposito, key in this process (no round trip)",
        fn: () => inMemory.tokens.mint(MINT_OPTIONS),
      },
    ];
    await checkSignatures(transit, keyName, inputs, publicKey, viaVault);
    vault.clearRequests();
    for (let i = 0; i < 10; i += 1) await viaVault.tokens.mint(MINT_OPTIONS);
    const requestsPerMint = vault.requests.length / 10;

    const measuredCases = await compare(pick(cases, only, "sign-single"), {
      ...options,
      callsPerCheck: 1,
      roundMs: Math.max(options.roundMs, MIN_ROUND_MS),
    });
    const results = withRatios(
      measuredCases.map((entry) => (entry.name === `sign-batch-${BATCH}` ? scaled(entry) : entry)),
      "sign-single",
    );
    const targets = measured(results, `sign-batch-${BATCH}`)
      ? [
          target(
            `batch of ${BATCH} / single, tokens/s`,
            ratioOf(results, `sign-batch-${BATCH}`, "sign-single"),
            ">=",
            5,
          ),
        ]
      : [];
    return {
      baseline: "sign-single",
      cases: results,
      targets,
      metrics: {
        ...Object.fromEntries(
          results.map((entry) => [`${entry.name} us/token`, 1e6 / entry.opsPerSec]),
        ),
        "mint-vault Vault requests per token": requestsPerMint,
      },
      notes: [
        `ops/s are tokens/s; the batch case's calls are multiplied by ${BATCH}`,
        `rounds of at least ${MIN_ROUND_MS} ms, the clock read after every call`,
        "the Vault double signs with node:crypto in this process: a real Vault adds its own network, TLS, ACL and audit costs",
        "mint-vault: VaultEdDsaSigner with a warm PublicKeySet (the latest version is cached); mint-memory: the same mint, key in this process",
      ],
    };
  } finally {
    await client.close();
    await vault.close();
  }
}

/** `{"alg":"EdDSA","typ":"JWT","kid":"deposito.v<N>"}.<claims>` as bytes, a new jti each. */
function signingInput(version) {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = { alg: "EdDSA", typ: "JWT", kid: `${EDDSA_ISSUER}.v${version}` };
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    jti: randomUUID(),
    groups: MINT_OPTIONS.groups,
    iat,
    nbf: iat,
    exp: iat + MINT_OPTIONS.expiresInSeconds,
    aud: AUDIENCE,
    iss: EDDSA_ISSUER,
    sub: MINT_OPTIONS.name,
    name: MINT_OPTIONS.name,
  };
  return Buffer.from(`${b64(header)}.${b64(claims)}`);
}

/** Nothing is timed unless Vault's signatures verify with the key's public half. */
async function checkSignatures(transit, keyName, inputs, publicKey, viaVault) {
  const [one] = await transit.signBatch(keyName, [inputs[0]]);
  const batch = await transit.signBatch(keyName, inputs);
  const all = [one, ...batch];
  const sources = [inputs[0], ...inputs];
  if (!all.every((signed, i) => verify(null, sources[i], publicKey, signed.signature))) {
    throw new Error("bench: a Vault transit signature does not verify");
  }
  const { token } = await viaVault.tokens.mint(MINT_OPTIONS);
  const dot = token.lastIndexOf(".");
  const signature = Buffer.from(token.slice(dot + 1), "base64url");
  if (!verify(null, Buffer.from(token.slice(0, dot)), publicKey, signature)) {
    throw new Error("bench: a token minted through Vault does not verify");
  }
}

/** Per-call figures of a batch case as per-token figures. */
function scaled(entry) {
  const times = (value) => value * BATCH;
  return {
    ...entry,
    opsPerSec: times(entry.opsPerSec),
    min: times(entry.min),
    max: times(entry.max),
    opsPerCpuSec: times(entry.opsPerCpuSec),
    samples: entry.samples.map(times),
    cpuSamples: entry.cpuSamples.map(times),
  };
}
