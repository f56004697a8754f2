/**
 * The signature check of a token whose header passed `peekHeader`, with the key the key
 * selection picked for it, then the one decode and parse of its payload.
 */
import type { EdDsaPublicKey } from "../eddsa/public-key.js";
import { AuthError } from "../errors.js";
import type { SigningKey } from "../secrets/signing-key.js";
import { createHs256SignatureCheck, decodeSegment, type Hs256SignatureCheck } from "./hs256.js";
import { jsonShapeProblem } from "./json-keys.js";

/** The key that checks a token, and the algorithm it checks with (the header's, allowed). */
export type SelectedKey =
  | { algorithm: "HS256"; key: SigningKey; label: string }
  | { algorithm: "EdDSA"; key: EdDsaPublicKey; label: string };

/** Either kind of verifying key. */
export type VerifierKey = SelectedKey["key"];

/** Signature checks with per-key set-up done once (HS256: the HMAC pads). */
export class SignedPayloads {
  private readonly hs256Checks = new WeakMap<SigningKey, Hs256SignatureCheck>();

  /**
   * Checks the signature with `selected`, then decodes (canonical base64url, strict UTF-8)
   * and parses the payload once (nothing unauthenticated is parsed beyond the small, cached
   * header) and scans its text for repeated keys, prototype key names and deep nesting.
   */
  payloadOf(token: string, selected: SelectedKey): unknown {
    const last = token.lastIndexOf(".");
    if (!this.signatureMatches(selected, token.slice(0, last), token.slice(last + 1))) {
      throw new AuthError("token_invalid", "The token signature does not match", {
        hint: "the token was minted with another secret, or altered",
      });
    }
    const text = decodeSegment(token.slice(token.indexOf(".") + 1, last));
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new AuthError("token_malformed", "The token payload is not valid JSON");
    }
    const problem = jsonShapeProblem(text, payload);
    if (problem) throw new AuthError("token_invalid", `The token payload has a ${problem}`);
    return payload;
  }

  private signatureMatches(selected: SelectedKey, input: string, signature: string): boolean {
    if (selected.algorithm === "EdDSA") {
      // The header check made the spelling canonical: these are the 64 signed bytes.
      return selected.key.verify(input, Buffer.from(signature, "base64url"));
    }
    return this.hs256CheckFor(selected.key)(input, signature);
  }

  private hs256CheckFor(key: SigningKey): Hs256SignatureCheck {
    let check = this.hs256Checks.get(key);
    // Stryker disable next-line ConditionalExpression: a cache only; a new check of the same key gives the same answers
    if (!check) {
      check = createHs256SignatureCheck(key.value);
      this.hs256Checks.set(key, check);
    }
    return check;
  }
}
