/**
 * `POST <mount>/sign/:name[/:hash_algorithm]`, as hashicorp
 * `builtin/logical/transit/path_sign_verify.go` `pathSignWrite` answers it: the single form
 * (`input`, `key_version`) and `batch_input`. The ACL check has already run.
 */
import { fieldBool, fieldInt, fieldString } from "./framework-fields.js";
import { envelope, fail, ok, plainError, type Reply } from "./http.js";
import {
  type SignatureMarshaling,
  TRANSIT_MOUNT_TYPE,
  type TransitEngine,
  type TransitKey,
  TransitUserError,
} from "./transit-engine.js";

/** keysutil `HashTypeMap`. */
const HASH_ALGORITHMS = new Set([
  "none",
  "sha1",
  "sha2-224",
  "sha2-256",
  "sha2-384",
  "sha2-512",
  "sha3-224",
  "sha3-256",
  "sha3-384",
  "sha3-512",
]);

/** One `batchResponseSignItem`, its fields in the struct's order (Go writes them so). */
interface SignItem {
  signature?: string;
  key_version: number;
  error?: string;
  reference: string;
}

/** An item's failure: `user` is a bad request item; otherwise the signer's own error. */
interface ItemFailure {
  message: string;
  user: boolean;
}

export function signRoute(
  engine: TransitEngine,
  request: { body: Record<string, unknown> },
  name: string,
  urlAlgorithm: string | undefined,
): Reply {
  const { body } = request;
  // The framework validates every field's type before the handler runs.
  const requested = fieldInt(body, "key_version") ?? 0;
  const prehashed = fieldBool(body, "prehashed") ?? false;
  const pkcs1v15 = fieldString(body, "signature_algorithm") === "pkcs1v15";
  // A missing input signs the empty string: "use empty string if input is missing".
  const single = {
    input: fieldString(body, "input") ?? "",
    context: fieldString(body, "context") ?? "",
  };
  // `urlalgorithm`, else `hash_algorithm`, else the deprecated `algorithm` (default sha2-256).
  const hashAlgorithm =
    urlAlgorithm ||
    (fieldString(body, "hash_algorithm") ?? "sha2-256") ||
    (fieldString(body, "algorithm") ?? "sha2-256") ||
    "sha2-256";
  if (!HASH_ALGORITHMS.has(hashAlgorithm)) {
    throw fail(400, `invalid hash algorithm ${JSON.stringify(hashAlgorithm)}`);
  }
  const marshaling = fieldString(body, "marshaling_algorithm") ?? "asn1";
  if (marshaling !== "asn1" && marshaling !== "jws") {
    throw fail(400, `invalid marshaling type ${JSON.stringify(marshaling)}`);
  }
  const key = engine.get(name);
  if (!key) throw fail(400, "signing key not found");
  if (hashAlgorithm === "none" && !(prehashed && pkcs1v15)) {
    throw fail(
      400,
      "hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15",
    );
  }
  const signOne = (item: Record<string, string>): SignItem | ItemFailure =>
    signItem(engine, key, item, requested, { hashAlgorithm, marshaling });

  const batch = body.batch_input;
  if (batch === undefined || batch === null) {
    const result = signOne(single);
    if ("message" in result) {
      // An item error is an error response (400); the signer's own error comes back as
      // a plain error, so 500 (hashicorp/vault#20713).
      throw result.user ? fail(400, result.message) : plainError(500, result.message);
    }
    return ok({ key_version: result.key_version, signature: result.signature }, TRANSIT_MOUNT_TYPE);
  }
  const items = batchItems(batch);
  const results = items.map((item): SignItem => {
    const result = signOne(item);
    const reference = item.reference ?? "";
    if ("message" in result) return { key_version: 0, error: result.message, reference };
    return { ...result, reference };
  });
  // Built after `envelope` so the items keep the struct's field order.
  const answer = envelope({}, TRANSIT_MOUNT_TYPE);
  answer.data = { batch_results: results };
  return { status: 200, body: answer };
}

/**
 * One item of the loop in `pathSignWrite`: `input` must be there (in a batch) and be std
 * base64, `context` too when given; then keysutil signs.
 */
function signItem(
  engine: TransitEngine,
  key: TransitKey,
  item: Record<string, string>,
  requested: number,
  options: { hashAlgorithm: string; marshaling: SignatureMarshaling },
): SignItem | ItemFailure {
  if (item.input === undefined) return { message: "missing input", user: true };
  const input = decodeStdBase64(item.input);
  if (typeof input === "string") {
    return { message: `unable to decode input as base64: ${input}`, user: true };
  }
  if (item.context && typeof decodeStdBase64(item.context) === "string") {
    return { message: "failed to base64-decode context", user: true };
  }
  try {
    const signed = engine.sign(key, requested, input, options);
    return { signature: signed.signature, key_version: signed.keyVersion, reference: "" };
  } catch (error) {
    if (error instanceof TransitUserError) return { message: error.message, user: false };
    throw error;
  }
}

/**
 * `mapstructure.Decode(batch_input, &[]map[string]string)`. JSON numbers reach it as
 * `json.Number`, a string type, so they pass; `null` leaves `""`; anything else fails the
 * decode, which Vault returns as a plain error (500). An empty list is 400.
 */
function batchItems(batch: unknown): Record<string, string>[] {
  const broken = (why: string) => plainError(500, `failed to parse batch input: ${why}`);
  if (!Array.isArray(batch)) throw broken("source data must be an array or slice");
  if (batch.length === 0) throw fail(400, "missing batch input to process");
  return batch.map((raw, index) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw broken(`'[${index}]' expected a map`);
    }
    const item: Record<string, string> = {};
    for (const [field, value] of Object.entries(raw as Record<string, unknown>)) {
      if (value === null) item[field] = "";
      else if (typeof value === "string" || typeof value === "number") item[field] = String(value);
      else throw broken(`'[${index}][${field}]' expected type 'string'`);
    }
    return item;
  });
}

/**
 * Go's `base64.StdEncoding.DecodeString`: padded standard alphabet, CR and LF skipped, and
 * on failure `illegal base64 data at input byte <n>` with Go's offset (encoding/base64
 * `decodeQuantum`). Returns the bytes, or that message.
 */
function decodeStdBase64(text: string): Buffer | string {
  const alphabet = /[A-Za-z0-9+/]/;
  const skip = (i: number) => text[i] === "\n" || text[i] === "\r";
  const corrupt = (at: number) => `illegal base64 data at input byte ${at}`;
  let si = 0;
  while (si < text.length) {
    for (let j = 0; j < 4; j++) {
      if (si === text.length) {
        if (j === 0) return Buffer.from(text.replace(/[\r\n]/g, ""), "base64");
        return corrupt(si - j);
      }
      const char = text[si] as string;
      si += 1;
      if (alphabet.test(char)) continue;
      if (char === "\n" || char === "\r") {
        j -= 1;
        continue;
      }
      if (char !== "=" || j < 2) return corrupt(si - 1);
      if (j === 2) {
        while (si < text.length && skip(si)) si += 1;
        if (si === text.length) return corrupt(text.length);
        if (text[si] !== "=") return corrupt(si - 1);
        si += 1;
      }
      while (si < text.length && skip(si)) si += 1;
      if (si < text.length) return corrupt(si);
      return Buffer.from(text.replace(/[\r\n]/g, ""), "base64");
    }
  }
  return Buffer.from(text.replace(/[\r\n]/g, ""), "base64");
}
