/**
 * Hostile tokens built by hand (never with the JWT library under test), after RFC 8725 and
 * the Node JWT CVEs (alg none, algorithm confusion, non-canonical encodings, header tricks).
 * Each entry must be rejected by every verifier with a stable code.
 */
import { createHmac } from "node:crypto";

export interface HostileToken {
  name: string;
  token: string;
}

const enc = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const mac = (input: string, secret: string, hash = "sha256") =>
  createHmac(hash, secret).update(input).digest("base64url");

export function validClaims(nowSeconds: number): Record<string, unknown> {
  return {
    jti: "5b6f7c1e-0a1b-4c2d-8e3f-405162738495",
    groups: ["admin"],
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 3600,
    aud: "gofr-api",
    iss: "gofr-auth",
  };
}

/** A correctly signed token from raw header and payload text. */
export function signRaw(headerText: string, payloadText: string, secret: string): string {
  const input = `${enc(headerText)}.${enc(payloadText)}`;
  return `${input}.${mac(input, secret)}`;
}

export function sign(header: unknown, payload: unknown, secret: string, hash = "sha256"): string {
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${mac(input, secret, hash)}`;
}

export function hostileTokens(secret: string, nowSeconds: number): HostileToken[] {
  const claims = validClaims(nowSeconds);
  const header = { alg: "HS256", typ: "JWT" };
  const good = sign(header, claims, secret);
  const [h, p, s] = good.split(".") as [string, string, string];
  const other = sign(header, { ...claims, groups: ["public"] }, secret);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const lastIndex = alphabet.indexOf(s.at(-1) as string);
  const sameBytes = `${s.slice(0, -1)}${alphabet[(lastIndex & ~3) | ((lastIndex + 1) & 3)]}`;
  const list: HostileToken[] = [];
  const add = (name: string, token: string) => list.push({ name, token });

  for (const alg of ["none", "None", "NONE", "nOnE"]) {
    add(`alg ${alg}, empty signature`, `${enc({ alg, typ: "JWT" })}.${p}.`);
    add(`alg ${alg}, with signature`, `${enc({ alg, typ: "JWT" })}.${p}.${s}`);
  }
  add("HS384 with the right secret", sign({ alg: "HS384", typ: "JWT" }, claims, secret, "sha384"));
  add("HS512 with the right secret", sign({ alg: "HS512", typ: "JWT" }, claims, secret, "sha512"));
  for (const alg of ["RS256", "ES256", "PS256", "EdDSA"]) {
    add(`${alg} header, HMAC signature`, sign({ alg, typ: "JWT" }, claims, secret));
  }
  add("no alg", sign({ typ: "JWT" }, claims, secret));
  add("empty signature", `${h}.${p}.`);
  add("truncated signature", `${h}.${p}.${s.slice(0, 20)}`);
  add("signature minus one character", `${h}.${p}.${s.slice(0, -1)}`);
  add("signature of another token", `${h}.${p}.${other.split(".")[2]}`);
  add("non-canonical signature (trailing bits)", `${h}.${p}.${sameBytes}`);
  add("padded signature", `${h}.${p}.${s}=`);
  add("padded header", `${h}==.${p}.${s}`);
  add("standard base64 characters", `${h}.${p}.${s.replace(/-/g, "+").replace(/_/g, "/")}+/`);
  add("whitespace inside", `${h}.${p.slice(0, 5)} ${p.slice(5)}.${s}`);
  add("leading whitespace", ` ${good}`);
  add("trailing newline", `${good}\n`);
  add("two parts", `${h}.${p}`);
  add("four parts", `${good}.${s}`);
  add("five parts", `${good}.${s}.${s}`);
  add("empty string", "");
  for (const [label, text] of [
    ["array", "[1,2]"],
    ["string", '"HS256"'],
    ["number", "42"],
    ["null", "null"],
    ["not JSON", "{alg:HS256}"],
  ] as const) {
    add(`header is ${label}`, signRaw(text, JSON.stringify(claims), secret));
    add(`payload is ${label}`, signRaw(JSON.stringify(header), text, secret));
  }
  add(
    "duplicate alg in header",
    signRaw('{"alg":"HS256","typ":"JWT","alg":"HS256"}', JSON.stringify(claims), secret),
  );
  add(
    "duplicate groups claim",
    signRaw(
      JSON.stringify(header),
      `${JSON.stringify(claims).slice(0, -1)},"groups":["public"]}`,
      secret,
    ),
  );
  add(
    "duplicate claim spelled with an escape",
    signRaw(
      JSON.stringify(header),
      `${JSON.stringify(claims).slice(0, -1)},"\\u0061ud":"x"}`,
      secret,
    ),
  );
  add("crit with unknown name", sign({ ...header, crit: ["exp-x"], "exp-x": 1 }, claims, secret));
  add("b64 false", sign({ ...header, b64: false, crit: ["b64"] }, claims, secret));
  for (const field of ["jku", "jwk", "x5u", "x5c", "x5t", "cty"]) {
    add(
      `${field} header`,
      sign({ ...header, [field]: "https://attacker.example/key" }, claims, secret),
    );
  }
  add("typ not JWT", sign({ alg: "HS256", typ: "JWE" }, claims, secret));
  add("kid path traversal", sign({ ...header, kid: "../../etc/passwd" }, claims, secret));
  add("kid overlong", sign({ ...header, kid: `shared.v1${"x".repeat(500)}` }, claims, secret));
  add("kid not a string", sign({ ...header, kid: 1 }, claims, secret));
  for (const name of ["exp", "nbf", "iat"] as const) {
    const value = claims[name] as number;
    add(`${name} as string`, sign(header, { ...claims, [name]: String(value) }, secret));
    add(`${name} as float`, sign(header, { ...claims, [name]: value + 0.5 }, secret));
    add(`${name} huge`, sign(header, { ...claims, [name]: 1e300 }, secret));
    add(`${name} negative`, sign(header, { ...claims, [name]: -1 }, secret));
    const { [name]: _dropped, ...without } = claims;
    add(`${name} missing`, sign(header, without, secret));
  }
  add("aud array without ours", sign(header, { ...claims, aud: ["other-api"] }, secret));
  add("aud empty array", sign(header, { ...claims, aud: [] }, secret));
  add("aud missing", sign(header, { ...claims, aud: undefined }, secret));
  add("groups a string", sign(header, { ...claims, groups: "admin" }, secret));
  add("groups with a number", sign(header, { ...claims, groups: ["admin", 1] }, secret));
  add("groups empty", sign(header, { ...claims, groups: [] }, secret));
  add("groups of objects", sign(header, { ...claims, groups: [{ name: "admin" }] }, secret));
  add("jti missing", sign(header, { ...claims, jti: undefined }, secret));
  add("iss not a string", sign(header, { ...claims, iss: ["gofr-auth"] }, secret));
  add("expired", sign(header, { ...claims, exp: nowSeconds - 3600 }, secret));
  add("not yet valid", sign(header, { ...claims, nbf: nowSeconds + 3600 }, secret));
  add("wrong secret", sign(header, claims, `${secret}-but-not-quite`));
  const nested = JSON.parse(`${"[".repeat(1500)}${"]".repeat(1500)}`);
  add("deeply nested payload (validly signed)", sign(header, { ...claims, x: nested }, secret));
  add("64 KiB token", `${h}.${"A".repeat(64 * 1024)}.${s}`);
  add("1 MiB token", `${h}.${"A".repeat(1024 * 1024)}.${s}`);
  return list;
}
