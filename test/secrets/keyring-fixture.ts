/**
 * A key ring over an in-memory secret source holding the shared secret (and any others),
 * with a manual clock and a capturing logger: the set-up the key ring survivor tests share.
 */
import { KeyRing, type KeyRingOptions } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { captureLogger } from "../support/capture-logger.js";

export const SHARED = "shared-secret-for-the-whole-fleet-0123456789";
export const DEPOSITO = "deposito-own-secret-0123456789-abcdefghijkl";

export function ring(
  options: Pick<KeyRingOptions, "strict" | "perIssuerKeys"> & {
    secrets?: Record<string, string>;
  } = {},
) {
  const clock = new ManualClock();
  const logger = captureLogger();
  const source = new MemorySecretSource({
    secrets: { [SHARED_SECRET_NAME]: SHARED, ...options.secrets },
    clock: clock.now,
  });
  const keyRing = new KeyRing({
    source,
    strict: options.strict,
    perIssuerKeys: options.perIssuerKeys,
    clock: clock.now,
    logger,
    cacheTtlSeconds: 300,
  });
  const warnings = () => logger.entries.filter((entry) => entry.level === "warn");
  return { clock, logger, source, keyRing, warnings };
}
