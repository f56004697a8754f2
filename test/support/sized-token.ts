import { createHmac } from "node:crypto";

/** Two spellings of `{ alg: HS256, typ: JWT }` whose encodings differ in length by 2. */
const HEADERS = ['{"alg":"HS256","typ":"JWT"}', '{"alg":"HS256", "typ":"JWT"}'];
/** base64url of a 32-byte HMAC. */
const SIGNATURE_CHARS = 43;

const enc = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/**
 * A correctly signed HS256 token (built by hand) of exactly `length` characters: `claims`
 * plus a `pad` claim as long as needed. Unpadded base64url never has a length of 4k+1, so
 * when the payload cannot hit the target with one header spelling, the other is used.
 */
export function tokenOfLength(
  claims: Record<string, unknown>,
  secret: string,
  length: number,
): string {
  for (const header of HEADERS) {
    const payloadChars = length - enc(header).length - SIGNATURE_CHARS - 2;
    if (payloadChars % 4 === 1) continue;
    // ceil(4n / 3) characters encode n bytes, so n = floor(3 * chars / 4).
    const payloadBytes = Math.floor((3 * payloadChars) / 4);
    const padding = payloadBytes - JSON.stringify({ ...claims, pad: "" }).length;
    if (padding < 0) throw new Error(`a token of ${length} characters is too short for the claims`);
    const input = `${enc(header)}.${enc(JSON.stringify({ ...claims, pad: "p".repeat(padding) }))}`;
    const token = `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
    if (token.length !== length) throw new Error(`built ${token.length} characters, not ${length}`);
    return token;
  }
  throw new Error(`no token of exactly ${length} characters`);
}
