/**
 * The hostile-token catalogue, built by hand (never with the JWT library under test), after
 * RFC 7515, RFC 7519, RFC 8725 and the Node JWT CVEs (alg none, algorithm confusion,
 * non-canonical encodings, header tricks).
 *
 * Every hostile entry is the ACCEPTED baseline token with exactly one property changed, and
 * carries the code the standard and our documented rules give it, written here by hand (never
 * computed by the code under test). The baseline's `jti` is an active record (see
 * {@link catalogueRecords}), so a refusal is the changed property's doing, not a missing
 * record. The codes assume the verifier in {@link CATALOGUE_SERVICE}, store-checked.
 */
import { createHmac } from "node:crypto";
import type { AuthErrorCode } from "../../src/errors.js";
import type { TokenRecord } from "../../src/tokens/record.js";
import { tokenOfLength } from "../support/sized-token.js";

/** The verifier the expected codes assume (audience and tolerance are the defaults). */
export const CATALOGUE_SERVICE = { trustedIssuers: ["gofr-auth"] };
/** The documented limit (8 KiB), written out rather than imported, so a changed constant shows. */
export const MAX_TOKEN_CHARS = 8 * 1024;
/** The documented default clock tolerance for exp, nbf and iat. */
export const TOLERANCE_SECONDS = 30;

export const BASELINE_JTI = "5b6f7c1e-0a1b-4c2d-8e3f-405162738495";
export const REVOKED_JTI = "0d3c2b1a-9f8e-4d7c-8b6a-59483726150f";
/** In no store. */
export const UNKNOWN_JTI = "7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9";
/** A record minted by issuer deposito with its own key (`issuer`/`keyLabel` deposito). */
export const DEPOSITO_JTI = "4c3b2a19-0f8e-4d7c-9b6a-5f4e3d2c1b0a";
/** A record minted by the operator (`issuer` gofr-auth, `keyLabel` shared). */
export const OPERATOR_JTI = "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d";
/** deposito's own secret: the catalogue verifier does not trust deposito's key at all. */
const DEPOSITO_SECRET = "deposito-own-secret-0123456789-abcdefghijkl";
export const BASELINE_GROUPS: readonly string[] = ["admin", "finance"];

/** A token the catalogue verifier accepts: through every adapter it gets 200. */
export interface AcceptedToken {
  name: string;
  token: string;
  /**
   * Past its `exp`, accepted only thanks to the clock tolerance. The MCP SDK re-checks
   * `expiresAt` against the wall clock with no tolerance, so its adapters refuse these.
   */
  toleranceOnly?: boolean;
}

export interface HostileToken {
  name: string;
  token: string;
  /** What `verifyToken` (store-checked) must answer. */
  code: AuthErrorCode;
  /** Where the `Authorization` header parser decides first, the code the adapters answer. */
  httpCode?: AuthErrorCode;
  /** Refused by the store check only: statelessly (signature and claims) it is accepted. */
  store?: boolean;
}

const enc = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const mac = (input: string, secret: string, hash = "sha256") =>
  createHmac(hash, secret).update(input).digest("base64url");

/** The baseline's claims (as the Python fleet mints them, plus `iss`). */
export function validClaims(nowSeconds: number): Record<string, unknown> {
  return {
    jti: BASELINE_JTI,
    groups: [...BASELINE_GROUPS],
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 3600,
    aud: "gofr-api",
    iss: "gofr-auth",
  };
}

/** The records the catalogue's store holds: the baseline's (active) and a revoked one. */
export function catalogueRecords(nowSeconds: number): TokenRecord[] {
  const record = (id: string, revoked: boolean): TokenRecord => ({
    id,
    name: null,
    groups: [...BASELINE_GROUPS],
    status: revoked ? "revoked" : "active",
    createdAt: new Date(nowSeconds * 1000),
    expiresAt: new Date((nowSeconds + 3600) * 1000),
    revokedAt: revoked ? new Date(nowSeconds * 1000) : null,
    fingerprint: null,
  });
  return [
    record(BASELINE_JTI, false),
    record(REVOKED_JTI, true),
    { ...record(DEPOSITO_JTI, false), issuer: "deposito", keyLabel: "deposito" },
    { ...record(OPERATOR_JTI, false), issuer: "gofr-auth", keyLabel: "shared" },
  ];
}

/** A correctly signed token from raw header and payload text. */
export function signRaw(headerText: string, payloadText: string, secret: string): string {
  const input = `${enc(headerText)}.${enc(payloadText)}`;
  return `${input}.${mac(input, secret)}`;
}

/** A correctly signed token over the exact segments given, canonical or not. */
export function signSegments(header: string, payload: string, secret: string): string {
  return `${header}.${payload}.${mac(`${header}.${payload}`, secret)}`;
}

/** `text` padded with trailing spaces (still valid JSON) to a byte length of `rest` mod 3. */
function padTo(text: string, rest: number): string {
  let padded = text;
  while (Buffer.byteLength(padded) % 3 !== rest) padded += " ";
  return padded;
}

/** The claims JSON with `bytes` (raw, not UTF-8-encoded by us) inside the `note` claim. */
function withRawBytes(claims: Record<string, unknown>, bytes: number[]): string {
  const [before, after] = JSON.stringify({ ...claims, note: "x__y" }).split("__") as [
    string,
    string,
  ];
  return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]).toString(
    "base64url",
  );
}

export function sign(header: unknown, payload: unknown, secret: string, hash = "sha256"): string {
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${mac(input, secret, hash)}`;
}

const HEADER = { alg: "HS256", typ: "JWT" };

/** The baseline and variants that differ from it only in ways the rules allow. */
export function acceptedTokens(secret: string, now: number): AcceptedToken[] {
  const claims = validClaims(now);
  const with_ = (changes: Record<string, unknown>) =>
    sign(HEADER, { ...claims, ...changes }, secret);
  const { iss: _iss, ...noIss } = claims;
  return [
    { name: "baseline", token: sign(HEADER, claims, secret) },
    { name: "exactly the size limit", token: tokenOfLength(claims, secret, MAX_TOKEN_CHARS) },
    { name: "no typ", token: sign({ alg: "HS256" }, claims, secret) },
    // RFC 7515 section 4.1.9: typ values are compared case-insensitively.
    { name: "typ in lower case", token: sign({ alg: "HS256", typ: "jwt" }, claims, secret) },
    {
      name: "kid of the current key",
      token: sign({ ...HEADER, kid: "shared.v1" }, claims, secret),
    },
    { name: "no iss (Python fleet)", token: sign(HEADER, noIss, secret) },
    { name: "aud list holding ours", token: with_({ aud: ["other-api", "gofr-api"] }) },
    { name: "groups in another order", token: with_({ groups: [...BASELINE_GROUPS].reverse() }) },
    { name: "groups with a repeat", token: with_({ groups: [...BASELINE_GROUPS, "admin"] }) },
    { name: "an extra claim", token: with_({ tenant: "t1" }) },
    { name: "nbf at the tolerance", token: with_({ nbf: now + TOLERANCE_SECONDS }) },
    { name: "iat at the tolerance", token: with_({ iat: now + TOLERANCE_SECONDS }) },
    {
      name: "exp passed, within the tolerance",
      token: with_({ exp: now - TOLERANCE_SECONDS + 1 }),
      toleranceOnly: true,
    },
  ];
}

/** A canonical last signature character that decodes to other MAC bits (4 of its 6 bits count). */
export function changeLastSignatureChar(signature: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const index = alphabet.indexOf(signature.at(-1) as string);
  return `${signature.slice(0, -1)}${alphabet[(index + 4) % 64]}`;
}

export function hostileTokens(secret: string, now: number): HostileToken[] {
  const claims = validClaims(now);
  const header = HEADER;
  const good = sign(header, claims, secret);
  const [h, p, s] = good.split(".") as [string, string, string];
  const other = sign(header, { ...claims, sub: "someone-else" }, secret);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const lastIndex = alphabet.indexOf(s.at(-1) as string);
  const sameBytes = `${s.slice(0, -1)}${alphabet[(lastIndex & ~3) | ((lastIndex + 1) & 3)]}`;
  const firstChanged = `${s[0] === "A" ? "B" : "A"}${s.slice(1)}`;
  const list: HostileToken[] = [];
  const add = (name: string, code: AuthErrorCode, token: string, more?: Partial<HostileToken>) =>
    list.push({ name, code, token, ...more });
  const claim = (changes: Record<string, unknown>) =>
    sign(header, { ...claims, ...changes }, secret);

  // Signature and algorithm (RFC 7515 sections 4.1.1 and 5.2, RFC 8725 section 3.1).
  for (const alg of ["none", "None", "NONE", "nOnE"]) {
    add(`alg ${alg}, empty signature`, "token_malformed", `${enc({ alg, typ: "JWT" })}.${p}.`);
    add(`alg ${alg}, with signature`, "token_invalid", `${enc({ alg, typ: "JWT" })}.${p}.${s}`);
  }
  add(
    "HS384 with the right secret",
    "token_invalid",
    sign({ ...header, alg: "HS384" }, claims, secret, "sha384"),
  );
  add(
    "HS512 with the right secret",
    "token_invalid",
    sign({ ...header, alg: "HS512" }, claims, secret, "sha512"),
  );
  for (const alg of ["RS256", "ES256", "PS256", "EdDSA"]) {
    add(
      `${alg} header, HMAC signature`,
      "token_invalid",
      sign({ alg, typ: "JWT" }, claims, secret),
    );
  }
  add("no alg", "token_invalid", sign({ typ: "JWT" }, claims, secret));
  add("wrong secret", "token_invalid", sign(header, claims, `${secret}-but-not-quite`));
  add("empty signature", "token_malformed", `${h}.${p}.`);
  add("truncated signature", "token_invalid", `${h}.${p}.${s.slice(0, 20)}`);
  add("signature minus one character", "token_invalid", `${h}.${p}.${s.slice(0, -1)}`);
  add(
    "last signature character changed",
    "token_invalid",
    `${h}.${p}.${changeLastSignatureChar(s)}`,
  );
  add("first signature character changed", "token_invalid", `${h}.${p}.${firstChanged}`);
  add("signature of another token", "token_invalid", `${h}.${p}.${other.split(".")[2]}`);
  add("non-canonical signature (trailing bits)", "token_invalid", `${h}.${p}.${sameBytes}`);
  add(
    "payload altered (exp extended), signature kept",
    "token_invalid",
    `${h}.${enc({ ...claims, exp: now + 365 * 86400 })}.${s}`,
  );
  add(
    "header altered (kid added), signature kept",
    "token_invalid",
    `${enc({ ...header, kid: "shared.v1" })}.${p}.${s}`,
  );

  // Serialization (RFC 7515 section 7.1: three base64url parts, no padding, no whitespace).
  add("padded signature", "token_malformed", `${h}.${p}.${s}=`);
  add("padded header", "token_malformed", `${h}==.${p}.${s}`);
  add(
    "standard base64 characters",
    "token_malformed",
    `${h}.${p}.${s.replace(/-/g, "+").replace(/_/g, "/")}+/`,
  );
  add("whitespace inside", "token_malformed", `${h}.${p.slice(0, 5)} ${p.slice(5)}.${s}`);
  // Canonical base64url (RFC 7515 section 2, RFC 4648 section 3.5): a length of 1 mod 4 or
  // non-zero unused bits is another spelling a lenient decoder accepts; PyJWT refuses it.
  const aligned = enc(padTo(JSON.stringify(claims), 0));
  add("payload length 1 mod 4", "token_malformed", signSegments(h, `${aligned}A`, secret));
  add(
    "header length 1 mod 4",
    "token_malformed",
    signSegments(`${enc(padTo(JSON.stringify(header), 0))}Q`, p, secret),
  );
  const unaligned = enc(padTo(JSON.stringify(claims), 1)); // 4 unused bits in its last char
  const lastValue = alphabet.indexOf(unaligned.at(-1) as string);
  add(
    "payload with non-zero unused bits",
    "token_malformed",
    signSegments(h, `${unaligned.slice(0, -1)}${alphabet[lastValue | 1]}`, secret),
  );
  // Strict UTF-8 (RFC 8259 section 8.1): invalid bytes are refused, not turned into U+FFFD.
  add(
    "invalid UTF-8 in a claim (0xff)",
    "token_malformed",
    signSegments(h, withRawBytes(claims, [0xff]), secret),
  );
  add(
    "overlong UTF-8 in a claim",
    "token_malformed",
    signSegments(h, withRawBytes(claims, [0xc0, 0xaf]), secret),
  );
  add("leading whitespace", "token_malformed", ` ${good}`);
  add("trailing newline", "token_malformed", `${good}\n`);
  add("two parts", "token_malformed", `${h}.${p}`);
  add("four parts", "token_malformed", `${good}.${s}`);
  add("five parts", "token_malformed", `${good}.${s}.${s}`);
  // `Bearer ` with nothing after it reaches the adapters as `Bearer`: a malformed header.
  add("empty string", "token_missing", "", { httpCode: "token_malformed" });
  for (const [label, text] of [
    ["array", "[1,2]"],
    ["string", '"HS256"'],
    ["number", "42"],
    ["null", "null"],
    ["not JSON", "{alg:HS256}"],
  ] as const) {
    add(`header is ${label}`, "token_malformed", signRaw(text, JSON.stringify(claims), secret));
    add(`payload is ${label}`, "token_malformed", signRaw(JSON.stringify(header), text, secret));
  }

  // Header rules: an allowlist (alg, typ, kid; RFC 7515 section 4.1.11 for crit) and no
  // repeated names in header or payload (RFC 7515 section 4 lets a parser reject them).
  const json = JSON.stringify(claims).slice(0, -1);
  add(
    "duplicate alg in header",
    "token_invalid",
    signRaw('{"alg":"HS256","typ":"JWT","alg":"HS256"}', JSON.stringify(claims), secret),
  );
  add(
    "duplicate groups claim",
    "token_invalid",
    signRaw(JSON.stringify(header), `${json},"groups":["public"]}`, secret),
  );
  add(
    "duplicate claim spelled with an escape",
    "token_invalid",
    signRaw(JSON.stringify(header), `${json},"\\u0061ud":"x"}`, secret),
  );
  add(
    "crit with unknown name",
    "token_invalid",
    sign({ ...header, crit: ["exp-x"], "exp-x": 1 }, claims, secret),
  );
  add("b64 false", "token_invalid", sign({ ...header, b64: false, crit: ["b64"] }, claims, secret));
  for (const field of ["jku", "jwk", "x5u", "x5c", "x5t", "cty"]) {
    add(
      `${field} header`,
      "token_invalid",
      sign({ ...header, [field]: "https://attacker.example/key" }, claims, secret),
    );
  }
  add("typ not JWT", "token_invalid", sign({ ...header, typ: "JWE" }, claims, secret));
  const kid = (value: unknown) => sign({ ...header, kid: value }, claims, secret);
  add("kid path traversal", "token_invalid", kid("../../etc/passwd"));
  add("kid overlong", "token_invalid", kid(`shared.v1${"x".repeat(500)}`));
  add("kid not a string", "token_invalid", kid(1));
  add("kid naming an unknown key version", "token_invalid", kid("shared.v2"));
  add("kid naming a key this service does not use", "token_invalid", kid("gofr-auth.v1"));
  add("kid naming an untrusted issuer's key", "issuer_untrusted", kid("deposito.v1"));

  // Claims (RFC 7519 section 4.1; NumericDate as whole seconds; jti and groups required).
  for (const name of ["exp", "nbf", "iat"] as const) {
    const value = claims[name] as number;
    add(`${name} as string`, "token_invalid", claim({ [name]: String(value) }));
    add(`${name} as float`, "token_invalid", claim({ [name]: value + 0.5 }));
    add(`${name} huge`, "token_invalid", claim({ [name]: 1e300 }));
    add(`${name} negative`, "token_invalid", claim({ [name]: -1 }));
    add(`${name} missing`, "token_invalid", claim({ [name]: undefined }));
  }
  add("expired an hour ago", "token_expired", claim({ exp: now - 3600 }));
  add("expired by exactly the tolerance", "token_expired", claim({ exp: now - TOLERANCE_SECONDS }));
  add("nbf an hour ahead", "token_not_yet_valid", claim({ nbf: now + 3600 }));
  add(
    "nbf just past the tolerance",
    "token_not_yet_valid",
    claim({ nbf: now + TOLERANCE_SECONDS + 1 }),
  );
  add(
    "iat just past the tolerance",
    "token_not_yet_valid",
    claim({ iat: now + TOLERANCE_SECONDS + 1 }),
  );
  add("aud another service", "audience_mismatch", claim({ aud: "other-api" }));
  add("aud array without ours", "audience_mismatch", claim({ aud: ["other-api"] }));
  add("aud empty array", "audience_mismatch", claim({ aud: [] }));
  add("aud missing", "audience_mismatch", claim({ aud: undefined }));
  add("iss untrusted", "issuer_untrusted", claim({ iss: "attacker" }));
  add("iss not a string", "token_invalid", claim({ iss: ["gofr-auth"] }));
  add("sub not a string", "token_invalid", claim({ sub: 42 }));
  add("jti missing", "token_invalid", claim({ jti: undefined }));
  add("jti empty", "token_invalid", claim({ jti: "" }));
  add("groups a string", "token_invalid", claim({ groups: "admin" }));
  add("groups with a number", "token_invalid", claim({ groups: ["admin", 1] }));
  add("groups empty", "token_invalid", claim({ groups: [] }));
  add("groups of objects", "token_invalid", claim({ groups: [{ name: "admin" }] }));
  // Prototype key names, which JSON.parse makes own properties and merges turn into prototypes.
  add(
    "__proto__ claim",
    "token_invalid",
    signRaw(JSON.stringify(header), `${json},"__proto__":{"groups":["admin"]}}`, secret),
  );
  add("constructor key nested in a claim", "token_invalid", claim({ x: [{ constructor: 1 }] }));
  const nested = JSON.parse(`${"[".repeat(1500)}${"]".repeat(1500)}`);
  add("deeply nested payload (validly signed)", "token_invalid", claim({ x: nested }));

  // Size: refused before any parsing.
  add(
    "one character over the size limit",
    "token_too_large",
    tokenOfLength(claims, secret, MAX_TOKEN_CHARS + 1),
  );
  add("64 KiB token", "token_too_large", `${h}.${"A".repeat(64 * 1024)}.${s}`);
  add("1 MiB token", "token_too_large", `${h}.${"A".repeat(1024 * 1024)}.${s}`);

  // The store check: the record must exist, be active and hold the same set of groups.
  const store = { store: true };
  add("jti of a revoked record", "token_revoked", claim({ jti: REVOKED_JTI }), store);
  add("jti in no store", "token_not_found", claim({ jti: UNKNOWN_JTI }), store);
  add(
    "groups a superset of the record's",
    "token_invalid",
    claim({ groups: [...BASELINE_GROUPS, "ops"] }),
    store,
  );
  add("groups a subset of the record's", "token_invalid", claim({ groups: ["admin"] }), store);
  add(
    "groups as many as the record's, one different",
    "token_invalid",
    claim({ groups: ["admin", "ops"] }),
    store,
  );
  // Records name the issuer and key that minted them: a token id (not a secret) replayed
  // under another key or issuer is refused. deposito's own key replaying the admin record
  // (the attack run's token) is refused earlier here: this verifier trusts only gofr-auth.
  add(
    "deposito's own key replaying the admin record",
    "issuer_untrusted",
    sign({ ...header, kid: "deposito.v1" }, { ...claims, iss: "deposito" }, DEPOSITO_SECRET),
  );
  add(
    "shared key replaying a record minted with deposito's own key",
    "token_issuer_mismatch",
    claim({ jti: DEPOSITO_JTI }),
    store,
  );
  add(
    "no iss, replaying a record minted by gofr-auth",
    "token_issuer_mismatch",
    claim({ jti: OPERATOR_JTI, iss: undefined }),
    store,
  );
  return list;
}
