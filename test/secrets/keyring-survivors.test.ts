/**
 * Issue 13 (mutation testing): KeyRing behaviours that surviving mutants showed no test
 * pinned down: the strict refusal's text, the fallback WARNING, and which change-marker
 * names are an issuer's secret.
 */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import {
  issuerSecretName,
  type SecretSource,
  type SecretVersion,
  SHARED_SECRET_NAME,
} from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { captureLogger } from "../support/capture-logger.js";
import { DEPOSITO, ring, SHARED } from "./keyring-fixture.js";

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AuthError)) throw new Error(`expected an AuthError, got ${error}`);
  return error;
}

describe("KeyRing strict refusal", () => {
  it("names the issuer, says strict mode forbids the fallback and tells how to create a key", async () => {
    const { keyRing } = ring({ strict: true });
    const error = await rejection(keyRing.mintingKey("deposito"));
    expect(error.code).toBe("secret_unavailable");
    expect(error.message).toBe(
      "Issuer 'deposito' has no signing secret of its own and strict mode forbids the shared fallback" +
        " (hint: create one: gofr-auth secrets generate --issuer deposito)",
    );
    expect(error.hint).toBe("create one: gofr-auth secrets generate --issuer deposito");
    expect(error.details).toEqual({
      issuer: "deposito",
      secret: "gofr/config/jwt-signing-secrets/deposito",
    });
  });
});

describe("KeyRing shared fallback WARNING", () => {
  it("says the issuer uses the shared secret, which secret it expects and the command to create it", async () => {
    const { keyRing, logger } = ring();
    await keyRing.mintingKey("deposito");
    expect(logger.entries.filter((entry) => entry.level === "warn")).toEqual([
      {
        level: "warn",
        message: "Issuer has no signing secret of its own; using the shared secret",
        fields: {
          issuer: "deposito",
          expected_secret: "gofr/config/jwt-signing-secrets/deposito",
          hint: "gofr-auth secrets generate --issuer deposito",
        },
      },
    ]);
  });
});

describe("KeyRing change markers", () => {
  it("a changed secret beside the issuer folder is not taken for an issuer's own secret", async () => {
    const { keyRing, source } = ring({ secrets: { [issuerSecretName("deposito")]: DEPOSITO } });
    await keyRing.ownKey("deposito");
    const reads = source.readCount(issuerSecretName("deposito"));
    // Same length as the folder plus "/", so its tail reads "deposito" if the "/" is not checked.
    await keyRing.secretChanged("gofr/config/jwt-signing-secrets_deposito");
    expect(source.readCount(issuerSecretName("deposito"))).toBe(reads);
  });

  it("a changed issuer secret is re-read by the issuer's provider", async () => {
    const { keyRing, source } = ring({ secrets: { [issuerSecretName("deposito")]: DEPOSITO } });
    await keyRing.ownKey("deposito");
    const reads = source.readCount(issuerSecretName("deposito"));
    await keyRing.secretChanged(issuerSecretName("deposito"));
    expect(source.readCount(issuerSecretName("deposito"))).toBe(reads + 1);
  });
});

/** A store whose reads of the issuer's secret the test answers one by one, when it wants. */
class HeldIssuerSource implements SecretSource {
  readonly description = "held test source";
  /** Pending answers for the next issuer-secret reads, first in first out. */
  readonly planned: Array<Promise<void>> = [];

  async read(name: string): Promise<SecretVersion> {
    if (name === SHARED_SECRET_NAME) return { value: SHARED, version: 1, createdAt: new Date(0) };
    const answer = this.planned.shift();
    if (answer) await answer;
    return { value: DEPOSITO, version: 1, createdAt: new Date(0) };
  }
}

/** A read the test fails later with the store's "not found". */
function heldNotFound() {
  let fail = () => {};
  const promise = new Promise<void>((_resolve, reject) => {
    fail = () => reject(new AuthError("secret_unavailable", "deleted"));
  });
  return { promise, fail };
}

describe("KeyRing reloads racing a re-created issuer secret", () => {
  it("a late 'not found' for a forgotten provider does not drop the issuer's new provider", async () => {
    const clock = new ManualClock();
    const source = new HeldIssuerSource();
    const keyRing = new KeyRing({ source, clock: clock.now, logger: captureLogger() });
    const name = issuerSecretName("deposito");
    await keyRing.ownKey("deposito");
    const old = keyRing.providerForLabel("deposito");
    if (!old) throw new Error("the issuer's provider should be held");
    const backgroundRead = heldNotFound();
    const lateRead = heldNotFound();
    source.planned.push(backgroundRead.promise, lateRead.promise);
    // An application resyncing when a background refresh fails: this reload starts a second
    // read of the old provider while the first reload is still to learn the secret is gone.
    let resync: Promise<void> | undefined;
    old.once("refreshFailed", () => {
      resync = keyRing.secretChanged(name);
    });
    clock.advanceSeconds(280); // inside the refresh-ahead window of the 300 s TTL
    await keyRing.ownKey("deposito"); // starts the background read
    const changed = keyRing.secretChanged(name); // joins it
    backgroundRead.fail();
    await changed;
    expect(resync).toBeDefined();
    expect(keyRing.providerForLabel("deposito")).toBeUndefined();
    // The secret is written anew and looked up: a new provider holds it.
    await keyRing.ownKeyFresh("deposito");
    const renewed = keyRing.providerForLabel("deposito");
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(old);
    lateRead.fail(); // the old provider's second read now answers "not found"
    await resync;
    expect(keyRing.providerForLabel("deposito")).toBe(renewed);
    expect(keyRing.isKnownAbsent("deposito")).toBe(false);
  });
});
