/**
 * The transit secrets engine's routes under a mount, as hashicorp
 * `builtin/logical/transit` declares them: `keys/` (LIST), `keys/:name` (create, read,
 * delete), `keys/:name/rotate`, `keys/:name/config` and `sign/:name[/:hash_algorithm]`.
 * The double makes ed25519 keys only and refuses other key types with a 400 saying so.
 *
 * ACL: the router's guard runs with the request's operation. None of these paths has an
 * existence check, so POST and PUT are update operations that need `update` (creating a
 * key included; hashicorp `vault/request_handling.go` `checkToken`).
 */
import { parseDurationSeconds } from "./durations.js";
import { fieldBool, fieldInt, fieldString } from "./framework-fields.js";
import { envelope, fail, noContent, notFound, ok, type Reply, unsupported } from "./http.js";
import { type Guard, OPERATION_CAPABILITY, type RouteRequest } from "./state.js";
import {
  keyData,
  TRANSIT_MOUNT_TYPE,
  type TransitEngine,
  type TransitKey,
} from "./transit-engine.js";
import { signRoute } from "./transit-sign.js";

/** `framework.GenericNameRegex`: `\w(([\w-.]+)?\w)?`. */
const NAME = String.raw`\w(?:[\w.-]*\w)?`;
const KEY = new RegExp(`^keys/(${NAME})$`);
const ROTATE = new RegExp(`^keys/(${NAME})/rotate$`);
const CONFIG = new RegExp(`^keys/(${NAME})/config$`);
/** `"sign/" + GenericNameRegex("name") + OptionalParamRegex("urlalgorithm")`. */
const SIGN = new RegExp(`^sign/(${NAME})(?:/(.+))?$`);

/** Key types Vault 1.20 documents (`pathPolicyWrite`); any other is `unknown key type <t>`. */
const KNOWN_TYPES = new Set([
  "aes128-gcm96",
  "aes256-gcm96",
  "chacha20-poly1305",
  "ecdsa-p256",
  "ecdsa-p384",
  "ecdsa-p521",
  "ed25519",
  "rsa-2048",
  "rsa-3072",
  "rsa-4096",
  "hmac",
  "managed_key",
  "aes128-cmac",
  "aes192-cmac",
  "aes256-cmac",
  "ml-dsa",
  "hybrid",
  "slh-dsa",
]);

/** The answer for a path under the mount; `undefined` when no pattern matches it. */
export function transitRoute(
  engine: TransitEngine,
  mount: string,
  request: RouteRequest,
  guard: Guard,
): Reply | undefined {
  const rest = request.path.slice(mount.length + 1);
  if (rest === "keys" || rest === "keys/") return listKeys(engine, request, guard);
  const sign = SIGN.exec(rest);
  if (sign) {
    if (!isWrite(request)) return refuseOperation(request, guard);
    guard("update");
    return signRoute(engine, request, sign[1] as string, sign[2]);
  }
  const key = KEY.exec(rest);
  if (key) return keyRoute(engine, request, key[1] as string, guard);
  const rotate = ROTATE.exec(rest);
  if (rotate) {
    if (!isWrite(request)) return refuseOperation(request, guard);
    guard("update");
    // `pathRotateWrite`: 200 with the key (`formatKeyPolicy`).
    const found = engine.get(rotate[1] as string);
    if (!found) throw fail(400, "key not found");
    engine.rotate(found);
    return ok(keyData(found), TRANSIT_MOUNT_TYPE);
  }
  const config = CONFIG.exec(rest);
  if (config) {
    if (!isWrite(request)) return refuseOperation(request, guard);
    guard("update");
    return configureKey(engine, request, config[1] as string);
  }
  return undefined;
}

function isWrite(request: RouteRequest): boolean {
  return request.method === "POST" || request.method === "PUT";
}

/** A matched path without a handler for the operation: the ACL first, then 405. */
function refuseOperation(request: RouteRequest, guard: Guard): never {
  guard(OPERATION_CAPABILITY[request.method] ?? []);
  throw unsupported();
}

/** `pathKeysList` (pattern `keys/?$`): the names, or 404 `{"errors":[]}` when there are none. */
function listKeys(engine: TransitEngine, request: RouteRequest, guard: Guard): Reply {
  if (request.method !== "LIST") return refuseOperation(request, guard);
  guard("list");
  const keys = engine.names();
  if (keys.length === 0) throw notFound();
  return ok({ keys }, TRANSIT_MOUNT_TYPE);
}

function keyRoute(engine: TransitEngine, request: RouteRequest, name: string, guard: Guard) {
  if (request.method === "GET") {
    guard("read");
    // `pathPolicyRead` answers nil for a missing key: 404 `{"errors":[]}`.
    const key = engine.get(name);
    if (!key) throw notFound();
    return ok(keyData(key), TRANSIT_MOUNT_TYPE);
  }
  if (isWrite(request)) {
    guard("update");
    return createKey(engine, request.body, name);
  }
  if (request.method === "DELETE") {
    guard("delete");
    engine.delete(name);
    return noContent();
  }
  return refuseOperation(request, guard);
}

/**
 * `pathPolicyWrite`: an existing key comes back unchanged, whatever type was asked, with
 * the warning `key <name> already existed`; a new one is made. Both answer 200 with the
 * key (`formatKeyPolicy`).
 */
function createKey(engine: TransitEngine, body: Record<string, unknown>, name: string): Reply {
  const type = fieldString(body, "type") ?? "aes256-gcm96";
  const derived = fieldBool(body, "derived") ?? false;
  const convergent = fieldBool(body, "convergent_encryption") ?? false;
  const exportable = fieldBool(body, "exportable") ?? false;
  const allowPlaintextBackup = fieldBool(body, "allow_plaintext_backup") ?? false;
  const autoRotate = autoRotateSeconds(body);
  if (!derived && convergent) {
    throw fail(400, "convergent encryption requires derivation to be enabled");
  }
  if (!KNOWN_TYPES.has(type)) throw fail(400, `unknown key type ${type}`);
  const existing = engine.get(name);
  if (existing) {
    return {
      status: 200,
      body: envelope(keyData(existing), TRANSIT_MOUNT_TYPE, {
        warnings: [`key ${name} already existed`],
      }),
    };
  }
  if (type !== "ed25519" || derived || autoRotate !== 0) {
    throw fail(
      400,
      "the Vault double creates only non-derived ed25519 transit keys without auto-rotation " +
        `(asked: type ${type}${derived ? ", derived" : ""})`,
    );
  }
  const key = engine.create(name, { exportable, allowPlaintextBackup });
  return ok(keyData(key), TRANSIT_MOUNT_TYPE);
}

/**
 * `auto_rotate_period` (`TypeDurationSecond`); below an hour but not 0 is refused with
 * Vault's text (`pathPolicyWrite`, `pathKeysConfigWrite`).
 */
function autoRotateSeconds(body: Record<string, unknown>): number {
  const seconds = parseDurationSeconds(body.auto_rotate_period, "auto_rotate_period") ?? 0;
  if (seconds !== 0 && seconds < 3600) {
    throw fail(400, "auto rotate period must be 0 to disable or at least an hour");
  }
  return seconds;
}

/**
 * `pathKeysConfigWrite`: 400 `no existing key named <name> could be found` for a missing
 * key, else the engine's checks; 200 with the key and the min-version warning if any.
 */
function configureKey(engine: TransitEngine, request: RouteRequest, name: string): Reply {
  const { body } = request;
  const changes = {
    minDecryptionVersion: fieldInt(body, "min_decryption_version"),
    minEncryptionVersion: fieldInt(body, "min_encryption_version"),
    deletionAllowed: fieldBool(body, "deletion_allowed"),
    exportable: fieldBool(body, "exportable"),
    allowPlaintextBackup: fieldBool(body, "allow_plaintext_backup"),
  };
  const key: TransitKey | undefined = engine.get(name);
  if (!key) throw fail(400, `no existing key named ${name} could be found`);
  const before = { ...key };
  const warning = engine.configure(key, changes);
  try {
    // Checked after the version settings, as Vault does; a refusal undoes them.
    if (autoRotateSeconds(body) !== 0) {
      throw fail(400, "the Vault double does not rotate transit keys on a schedule");
    }
  } catch (error) {
    Object.assign(key, before);
    throw error;
  }
  return {
    status: 200,
    body: envelope(keyData(key), TRANSIT_MOUNT_TYPE, { warnings: warning ? [warning] : null }),
  };
}
