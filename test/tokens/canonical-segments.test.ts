/**
 * Header and payload must be canonical base64url (RFC 7515 section 2 / RFC 4648 section
 * 3.5: unpadded, no length of 1 mod 4, zero unused bits) holding valid UTF-8 JSON objects
 * (RFC 8259 section 8.1). `Buffer.from(..., "base64url")` silently drops a stray last
 * character or non-zero unused bits, and `toString("utf8")` turns invalid bytes into U+FFFD;
 * PyJWT refuses both, so a token the Python fleet refuses must not pass here. Every token is
 * signed over its exact text, so only the encoding rule can refuse it.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { ManualClock, makeTestSecretProvider, TEST_SECRET } from "../../src/testing/index.js";
import { decodeSegment, isCanonicalBase64url } from "../../src/tokens/hs256.js";
import { TokenService } from "../../src/tokens/token-service.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEADER = '{"alg":"HS256","typ":"JWT"}';

function setup() {
  const clock = new ManualClock();
  const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
  const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
  const now = Math.floor(clock.now() / 1000);
  const claims = { jti: "a3c1", groups: ["public"], iat: now, nbf: now, exp: now + 60 };
  return { tokens, claims: { ...claims, aud: "gofr-api" } };
}

/** Signs the exact segments given (whatever their spelling), as an attacker holding the key. */
function signSegments(header: string, payload: string): string {
  const input = `${header}.${payload}`;
  return `${input}.${createHmac("sha256", TEST_SECRET).update(input).digest("base64url")}`;
}

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");

/** JSON text padded with trailing spaces (valid JSON) to a byte length of `rest` mod 3. */
function paddedTo(json: string, rest: 0 | 1 | 2): string {
  let text = json;
  while (Buffer.byteLength(text) % 3 !== rest) text += " ";
  return text;
}

/** The same bytes spelled with a non-zero unused bit in the last character. */
function withTrailingBit(segment: string): string {
  const value = ALPHABET.indexOf(segment.at(-1) as string);
  return `${segment.slice(0, -1)}${ALPHABET[value | 1]}`;
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("canonical base64url segments", () => {
  it("control: the padded JSON texts below verify when canonically encoded", async () => {
    const { tokens, claims } = setup();
    for (const rest of [0, 1, 2] as const) {
      const payload = b64(paddedTo(JSON.stringify(claims), rest));
      expect(await codeOf(tokens.verify(signSegments(b64(HEADER), payload)))).toBe("resolved");
    }
  });

  it("refuses a payload whose length is 1 mod 4 (a stray character Buffer would drop)", async () => {
    const { tokens, claims } = setup();
    const payload = `${b64(paddedTo(JSON.stringify(claims), 0))}A`;
    expect(payload.length % 4).toBe(1);
    expect(Buffer.from(payload, "base64url").toString()).toContain('"jti"'); // decodes leniently
    expect(await codeOf(tokens.verify(signSegments(b64(HEADER), payload)))).toBe("token_malformed");
  });

  it("refuses a header whose length is 1 mod 4", async () => {
    const { tokens, claims } = setup();
    const header = `${b64(paddedTo(HEADER, 0))}Q`;
    expect(header.length % 4).toBe(1);
    const token = signSegments(header, b64(JSON.stringify(claims)));
    expect(await codeOf(tokens.verify(token))).toBe("token_malformed");
  });

  it("refuses non-zero unused bits in the payload's last character (4 or 2 unused bits)", async () => {
    const { tokens, claims } = setup();
    for (const rest of [1, 2] as const) {
      const canonical = b64(paddedTo(JSON.stringify(claims), rest));
      const payload = withTrailingBit(canonical);
      expect(Buffer.from(payload, "base64url")).toEqual(Buffer.from(canonical, "base64url"));
      expect(await codeOf(tokens.verify(signSegments(b64(HEADER), payload))), `rest ${rest}`).toBe(
        "token_malformed",
      );
    }
  });

  it("refuses non-zero unused bits in the header's last character", async () => {
    const { tokens, claims } = setup();
    const header = withTrailingBit(b64(paddedTo(HEADER, 1)));
    const token = signSegments(header, b64(JSON.stringify(claims)));
    expect(await codeOf(tokens.verify(token))).toBe("token_malformed");
  });

  it("isCanonicalBase64url accepts exactly the last characters Node's own encoder writes", () => {
    // Every 1- and 2-byte tail, encoded by Node: the last characters canonical spellings use.
    for (const bytes of [1, 2]) {
      const lastChars = new Set<string>();
      for (let value = 0; value < 1 << (8 * bytes); value += 1) {
        const tail = Buffer.alloc(bytes);
        tail.writeUIntBE(value, 0, bytes);
        lastChars.add(b64(tail).at(-1) as string);
      }
      expect(lastChars.size).toBe(bytes === 1 ? 4 : 16);
      const prefix = `AAAA${"A".repeat(bytes)}`; // 4 + (bytes + 1) characters with the last
      for (const last of ALPHABET) {
        expect(isCanonicalBase64url(`${prefix}${last}`), `${bytes} byte(s), '${last}'`).toBe(
          lastChars.has(last),
        );
      }
    }
    expect(isCanonicalBase64url("AAAA")).toBe(true);
    expect(isCanonicalBase64url("AAAAA")).toBe(false); // no byte count gives 1 mod 4
    expect(isCanonicalBase64url("AA=")).toBe(false); // padding is not base64url's
  });
});

describe("strict UTF-8 JSON", () => {
  const payloadWith = (claims: Record<string, unknown>, bytes: number[]) => {
    // {"...claims...","note":"x<bytes>y"}
    const json = JSON.stringify({ ...claims, note: "x__y" });
    const [before, after] = json.split("__") as [string, string];
    return b64(Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]));
  };

  const invalid: Array<[string, number[]]> = [
    ["a lone 0xff byte", [0xff]],
    ["a truncated two-byte sequence", [0xc3]],
    ["an overlong '/' (0xc0 0xaf)", [0xc0, 0xaf]],
    ["a UTF-16 surrogate encoded as UTF-8 (CESU-8)", [0xed, 0xa0, 0x80]],
    ["a code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
  ];
  for (const [what, bytes] of invalid) {
    it(`refuses a payload holding ${what}`, async () => {
      const { tokens, claims } = setup();
      const token = signSegments(b64(HEADER), payloadWith(claims, bytes));
      expect(await codeOf(tokens.verify(token))).toBe("token_malformed");
    });
  }

  it("accepts a real U+FFFD and other multi-byte characters", async () => {
    const { tokens, claims } = setup();
    const token = signSegments(b64(HEADER), payloadWith(claims, [...Buffer.from("\uFFFDé😀")]));
    const verified = await tokens.verify(token);
    expect(verified.claims.note).toBe("x\uFFFDé😀y");
  });

  it("refuses a payload or header starting with a byte order mark", async () => {
    const { tokens, claims } = setup();
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const payload = b64(Buffer.concat([bom, Buffer.from(JSON.stringify(claims))]));
    expect(await codeOf(tokens.verify(signSegments(b64(HEADER), payload)))).toBe("token_malformed");
    const header = b64(Buffer.concat([bom, Buffer.from(HEADER)]));
    const token = signSegments(header, b64(JSON.stringify(claims)));
    expect(await codeOf(tokens.verify(token))).toBe("token_malformed");
  });

  it("refuses a header holding invalid UTF-8 before any key is loaded", async () => {
    const clock = new ManualClock();
    const provider = makeTestSecretProvider(TEST_SECRET, { clock: clock.now });
    const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
    // typ "JWT" followed by 0xff: lenient decoding reads typ "JWT\uFFFD" (token_invalid).
    const header = b64(
      Buffer.concat([
        Buffer.from('{"alg":"HS256","typ":"JWT'),
        Buffer.from([0xff]),
        Buffer.from('"}'),
      ]),
    );
    const token = signSegments(header, b64("{}"));
    expect(await codeOf(tokens.verify(token))).toBe("token_malformed");
    expect(provider.source.readCount(provider.name)).toBe(0);
  });

  it("decodeSegment says which rule failed, never echoing the segment", () => {
    const segment = `${b64(HEADER)}A`;
    expect(() => decodeSegment(segment)).toThrow(/not canonical base64url/);
    expect(() => decodeSegment(b64(Buffer.from([0xff])))).toThrow(/not valid UTF-8/);
    try {
      decodeSegment(segment);
    } catch (error) {
      expect((error as Error).message).not.toContain(segment.slice(0, 10));
    }
  });
});
