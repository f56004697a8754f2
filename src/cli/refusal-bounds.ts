/**
 * When services stop accepting something an operator command just wrote (a rotation, a
 * deleted key, a revocation), from the settings the CLI resolved: the embedded store is
 * checked on each request; Vault services poll the change marker every propagation
 * interval, or (propagation off) wait for their cache TTL.
 */
import type { AuthEnabled } from "../config/resolve.js";

/** When services stop accepting something written now, from the settings the CLI resolved. */
export interface RefusalBound {
  /** What the bound comes from. */
  basis: "next_request" | "propagation" | "secret_ttl" | "token_cache_ttl" | "rotation_grace";
  /** Seconds after the write; null for `next_request`. */
  seconds: number | null;
  /** One human sentence. */
  text: string;
}

/** A bound before it is put in a sentence: the phrase and the settings it comes from. */
interface Reach {
  basis: RefusalBound["basis"];
  seconds: number | null;
  phrase: string;
  why: string;
}

/**
 * How soon every service on this store sees a change written now: the embedded store is
 * checked on each request; Vault services poll the change marker every propagation
 * interval, or (propagation off) wait for their cache TTL (`ttl`).
 */
function propagation(
  plane: AuthEnabled,
  ttl: { seconds: number; basis: "secret_ttl" | "token_cache_ttl"; name: string },
): Reach {
  const prefix = plane.settings.prefix;
  if (plane.backend === "sqlite") {
    return {
      basis: "next_request",
      seconds: null,
      phrase: "from its next request",
      why: "embedded store",
    };
  }
  const interval = plane.settings.propagationSeconds;
  if (interval > 0) {
    return {
      basis: "propagation",
      seconds: interval,
      phrase: `within ${interval} s plus one store read`,
      why: `${prefix}_PROPAGATION_SECONDS=${interval}`,
    };
  }
  return {
    basis: ttl.basis,
    seconds: ttl.seconds,
    phrase: `within ${ttl.seconds} s`,
    why: `${prefix}_${ttl.name}=${ttl.seconds}, propagation off`,
  };
}

/**
 * When tokens signed with the version just rotated away stop being accepted: the
 * propagation bound, or the rotation grace when that is longer (a service loading the new
 * version later than the grace refuses old tokens as soon as it has it).
 */
export function rotationBound(plane: AuthEnabled): RefusalBound {
  const { prefix, rotationGraceSeconds: grace, secretTtlSeconds } = plane.settings;
  const reach = propagation(plane, {
    seconds: secretTtlSeconds,
    basis: "secret_ttl",
    name: "JWT_SECRET_TTL",
  });
  const graceLonger = grace > 0 && (reach.seconds === null || grace > reach.seconds);
  const { basis, seconds, phrase, why }: Reach = graceLonger
    ? {
        basis: "rotation_grace",
        seconds: grace,
        phrase: `after ${grace} s`,
        why: `${prefix}_ROTATION_GRACE=${grace}`,
      }
    : reach;
  // Settings-based bounds are this environment's: say so (the embedded store's is not).
  const source =
    basis === "next_request" ? why : `${why}, as set here; each service follows its own settings`;
  return {
    basis,
    seconds,
    text: `Old tokens: refused by every service on this store ${phrase} (${source}).`,
  };
}

/** When tokens signed with a key deleted now stop verifying (no grace: the key is gone). */
export function deletionBound(plane: AuthEnabled): string {
  const { phrase, why } = propagation(plane, {
    seconds: plane.settings.secretTtlSeconds,
    basis: "secret_ttl",
    name: "JWT_SECRET_TTL",
  });
  return `${phrase} (${why})`;
}

/**
 * When every service sees a change to an EdDSA issuer's key written now (a new version to
 * mint with, retired versions to refuse), as `<subject> <when> (<settings>).`: services
 * hold public keys like signing secrets (cached for `<P>_JWT_SECRET_TTL`, refreshed by the
 * change marker on Vault, re-checked on each request on the embedded store). No rotation
 * grace: that is HS256's, for the version just replaced.
 */
export function eddsaChangeBound(plane: AuthEnabled, subject: string): RefusalBound {
  const { basis, seconds, phrase, why } = propagation(plane, {
    seconds: plane.settings.secretTtlSeconds,
    basis: "secret_ttl",
    name: "JWT_SECRET_TTL",
  });
  const source =
    basis === "next_request" ? why : `${why}, as set here; each service follows its own settings`;
  return { basis, seconds, text: `${subject} ${phrase} (${source}).` };
}

/** When store-checked services refuse a token revoked now. */
export function revocationBound(plane: AuthEnabled): RefusalBound {
  const { basis, seconds, phrase, why } = propagation(plane, {
    seconds: plane.settings.tokenCacheTtlSeconds,
    basis: "token_cache_ttl",
    name: "TOKEN_CACHE_TTL",
  });
  return {
    basis,
    seconds,
    text: `Revoked tokens: refused by every store-checked service ${phrase} (${why}).`,
  };
}
