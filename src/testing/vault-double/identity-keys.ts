/**
 * OIDC named keys of the double's identity store: real key pairs from node:crypto, the key
 * ring whose public halves the JWKS serves, rotation and expiry, and JWT signing. Facts
 * from hashicorp/vault `vault/identity_store_oidc.go` (`namedKey`, `generateKeys`,
 * `namedKey.rotate`, `expireOIDCPublicKeys`, `signPayload`; OpenBao
 * `internal/vault/identity/store_oidc.go`, inherited, for the Vault 1.9+ next-key scheme).
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from "node:crypto";
import { goJsonOrder } from "./http.js";

/** `supportedAlgs`, in Vault's order (also the discovery document's list). */
export const OIDC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

export type OidcAlgorithm = (typeof OIDC_ALGORITHMS)[number];

export function isOidcAlgorithm(value: string): value is OidcAlgorithm {
  return (OIDC_ALGORITHMS as readonly string[]).includes(value);
}

/** A public JWK as go-jose writes it: `use, kty, kid, crv, alg, x, y, n, e`, empty ones left out. */
export type PublicJwk = Record<string, string>;

interface KeyPair {
  kid: string;
  privateKey: KeyObject;
  jwk: PublicJwk;
}

/** A key ring entry: a key ID whose public key is served until `expireAt` (0: no expiry). */
interface RingEntry {
  kid: string;
  jwk: PublicJwk;
  expireAt: number;
}

export interface NamedKey {
  algorithm: OidcAlgorithm;
  rotationPeriodSeconds: number;
  verificationTtlSeconds: number;
  /** Role client IDs that may sign with the key; `*` allows every role. */
  allowedClientIds: string[];
  ring: RingEntry[];
  /** The key that signs now; undefined for the `default` key before its lazy generation. */
  signing: KeyPair | undefined;
  /** The key that signs after the next rotation; its public half is already served. */
  next: KeyPair | undefined;
  /** Epoch ms of the next automatic rotation. */
  nextRotation: number;
}

const CURVES: Record<string, string> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };
const HASHES: Record<string, string> = {
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
};

/** `generateKeys`: RSA 2048, ECDSA on the algorithm's curve, or Ed25519; `kid` a UUID. */
function generateKeyPair(algorithm: OidcAlgorithm): KeyPair {
  const { privateKey, publicKey } =
    algorithm === "EdDSA"
      ? generateKeyPairSync("ed25519")
      : algorithm.startsWith("ES")
        ? generateKeyPairSync("ec", { namedCurve: CURVES[algorithm] as string })
        : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomUUID();
  const raw = publicKey.export({ format: "jwk" }) as Record<string, string | undefined>;
  const ordered: Record<string, string | undefined> = {
    use: "sig",
    kty: raw.kty,
    kid,
    crv: raw.crv,
    alg: algorithm,
    x: raw.x,
    y: raw.y,
    n: raw.n,
    e: raw.e,
  };
  const jwk: PublicJwk = {};
  for (const [name, value] of Object.entries(ordered)) if (value) jwk[name] = value;
  return { kid, privateKey, jwk };
}

/** A fresh pair, appended to the ring without expiry (`GenerateAndSetKey`/`...NextKey`). */
function addToRing(key: NamedKey): KeyPair {
  const pair = generateKeyPair(key.algorithm);
  key.ring.push({ kid: pair.kid, jwk: pair.jwk, expireAt: 0 });
  return pair;
}

/** New current and next keys, as a create or an algorithm change does. */
export function generateCurrentAndNext(key: NamedKey): void {
  key.signing = addToRing(key);
  key.next = addToRing(key);
}

/**
 * `namedKey.rotate`: the signing key's public half stays for `verification_ttl` (or the
 * override, when >= 0), the next key signs from now on, and a new next key is made.
 */
export function rotateKey(key: NamedKey, now: number, verificationTtlOverride = -1): void {
  const ttl = verificationTtlOverride >= 0 ? verificationTtlOverride : key.verificationTtlSeconds;
  const current = key.signing;
  if (current) {
    const entry = key.ring.find((item) => item.kid === current.kid);
    if (entry) entry.expireAt = now + ttl * 1000;
  }
  key.signing = key.next ?? addToRing(key);
  key.nextRotation = now + key.rotationPeriodSeconds * 1000;
  key.next = addToRing(key);
}

/**
 * What Vault's periodic function does, run lazily before each identity request: rotate a
 * key past its `next_rotation` (once, as `oidcKeyRotation` does), then drop ring entries
 * whose expiry is before now (`expireOIDCPublicKeys`). True when anything changed.
 */
export function runPeriodic(keys: Iterable<NamedKey>, now: number): boolean {
  let changed = false;
  for (const key of keys) {
    if (now > key.nextRotation) {
      rotateKey(key, now);
      changed = true;
    }
    const kept = key.ring.filter((entry) => entry.expireAt === 0 || entry.expireAt >= now);
    changed ||= kept.length !== key.ring.length;
    key.ring = kept;
  }
  return changed;
}

/** The public keys of a key's ring (current, next and rotated-out ones not yet expired). */
export function publicKeys(key: NamedKey): PublicJwk[] {
  return key.ring.map((entry) => entry.jwk);
}

/**
 * A compact JWS as go-jose's signer makes it: protected header `{"alg","kid"}` (a Go map,
 * keys sorted), the payload as `json.Marshal` of a map (keys sorted), ECDSA signatures as
 * `r || s`.
 */
export function signJwt(key: NamedKey, payload: Record<string, unknown>): string {
  const signer = key.signing;
  if (!signer) throw new Error("signing key is nil; rotate the key and try again");
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${encode({ alg: key.algorithm, kid: signer.kid })}.${encode(goJsonOrder(payload))}`;
  const data = Buffer.from(input);
  const signature =
    key.algorithm === "EdDSA"
      ? sign(null, data, signer.privateKey)
      : sign(HASHES[key.algorithm] as string, data, {
          key: signer.privateKey,
          dsaEncoding: "ieee-p1363",
        });
  return `${input}.${signature.toString("base64url")}`;
}
