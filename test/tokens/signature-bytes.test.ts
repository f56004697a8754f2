/**
 * The HS256 signature check compares two 43-byte buffers that every call reuses
 * (src/tokens/hs256.ts). A given signature is written into its buffer as UTF-8, so one of
 * 43 characters with a non-ASCII one among them either fills the 43 bytes with a byte
 * >= 0x80 (no base64url digest has one) or stops short: `Buffer.write` writes no partial
 * character. Stopping short must refuse at once, because the bytes not written are still
 * those of the previous call. TokenService never gets here with such a signature (its shape
 * check allows only base64url characters): this is the check's own contract.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TEST_SECRET } from "../../src/testing/index.js";
import { createHs256SignatureCheck, HS256_SIGNATURE_LENGTH } from "../../src/tokens/hs256.js";

const INPUT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0";
const GOOD = createHmac("sha256", TEST_SECRET).update(INPUT).digest("base64url");

describe("the HS256 signature check's reused buffers", () => {
  it("refuses 43 characters that fill only 42 bytes, even when the byte left over from the previous call is the right one", () => {
    const check = createHs256SignatureCheck(TEST_SECRET);
    // The 42 right characters, then one that takes two bytes in UTF-8 and so is not written.
    const short = `${GOOD.slice(0, -1)}é`;
    expect(short.length).toBe(HS256_SIGNATURE_LENGTH);
    expect(Buffer.byteLength(short.slice(0, -1))).toBe(HS256_SIGNATURE_LENGTH - 1);

    expect(check(INPUT, GOOD)).toBe(true); // leaves GOOD's last byte in the buffer
    expect(check(INPUT, short)).toBe(false);
  });

  it("refuses 43 characters whose UTF-8 fills the 43 bytes with a non-ASCII byte", () => {
    const check = createHs256SignatureCheck(TEST_SECRET);
    // Two bytes for "é", then 41 right characters: 43 bytes written, the last one dropped.
    const filled = `é${GOOD.slice(1)}`;
    expect(filled.length).toBe(HS256_SIGNATURE_LENGTH);
    expect(check(INPUT, GOOD)).toBe(true);
    expect(check(INPUT, filled)).toBe(false);
  });
});
