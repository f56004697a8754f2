/**
 * The HS256 check computes HMAC-SHA256 by hand from two one-shot `crypto.hash` calls and the
 * key's precomputed pads (src/tokens/hs256.ts, docs/decisions.md). It must be exactly
 * node:crypto's `createHmac`: on the RFC 4231 vectors, for keys shorter than, equal to and
 * longer than the 64-byte block (hashed first, RFC 2104 section 2), for non-ASCII text, for
 * messages longer than the reused buffer (which then grows) and shorter ones after them, and
 * with several keys used in turn (each has its own buffers).
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHs256SignatureCheck } from "../../src/tokens/hs256.js";

const hex = (text: string) => Buffer.from(text, "hex");
const base64url = (bytes: Buffer) => bytes.toString("base64url");
const nodeMac = (key: string | Buffer, message: string) =>
  createHmac("sha256", key).update(message, "utf8").digest("base64url");

describe("HMAC-SHA256 of the HS256 check", () => {
  // RFC 4231 section 4: the HMAC-SHA-256 results of the test cases with text data (cases 3
  // and 4 hash raw bytes, which a JWS signing input never is; case 5 truncates).
  const vectors: Array<[string, Buffer, string, string]> = [
    [
      "test case 1 (20-byte key)",
      Buffer.alloc(20, 0x0b),
      "Hi There",
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    [
      "test case 2 (short key)",
      Buffer.from("Jefe"),
      "what do ya want for nothing?",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      "test case 6 (131-byte key, hashed first)",
      Buffer.alloc(131, 0xaa),
      "Test Using Larger Than Block-Size Key - Hash Key First",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    [
      "test case 7 (131-byte key, 152-byte data)",
      Buffer.alloc(131, 0xaa),
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  for (const [name, key, data, mac] of vectors) {
    it(`matches RFC 4231 ${name}`, () => {
      const check = createHs256SignatureCheck(key);
      expect(check(data, base64url(hex(mac)))).toBe(true);
      expect(check(`${data}.`, base64url(hex(mac)))).toBe(false);
    });
  }

  it("agrees with createHmac for keys of 1 to 150 bytes around the 64-byte block", () => {
    const message = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0";
    for (let length = 1; length <= 150; length += 1) {
      const key = Buffer.alloc(length);
      for (let i = 0; i < length; i += 1) key[i] = (i * 37 + length) & 0xff;
      expect(createHs256SignatureCheck(key)(message, nodeMac(key, message)), `${length}`).toBe(
        true,
      );
    }
  });

  it("agrees with createHmac on any key and text, long ones included, keys in turn", () => {
    const key = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 80 }),
    );
    const message = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.string({ unit: "binary-ascii", minLength: 3000, maxLength: 9000 }),
    );
    fc.assert(
      fc.property(
        key,
        key,
        fc.array(fc.tuple(fc.boolean(), message), { maxLength: 6 }),
        (a, b, calls) => {
          if (Buffer.byteLength(a) === 0 || Buffer.byteLength(b) === 0) return;
          const checks = [createHs256SignatureCheck(a), createHs256SignatureCheck(b)];
          for (const [second, text] of calls) {
            const expected = nodeMac(second ? b : a, text);
            expect(
              (checks[second ? 1 : 0] as (m: string, s: string) => boolean)(text, expected),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a longer message then a shorter one: the reused buffer's old bytes do not count", () => {
    const check = createHs256SignatureCheck("reuse-key");
    const long = "a".repeat(5000);
    expect(check(long, nodeMac("reuse-key", long))).toBe(true);
    expect(check("a", nodeMac("reuse-key", "a"))).toBe(true);
    expect(check("", nodeMac("reuse-key", ""))).toBe(true);
  });

  it("encodes a lone surrogate as createHmac does (U+FFFD)", () => {
    const check = createHs256SignatureCheck("surrogate-key");
    for (const text of ["\ud800", "a\udfffb", "\ud83d\ude00\ud83d"]) {
      expect(check(text, nodeMac("surrogate-key", text))).toBe(true);
    }
  });
});
