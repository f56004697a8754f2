import type { Command } from "commander";
import type { AuthEnabled } from "../../config/resolve.js";
import type { EdDsaKeyListing } from "../../eddsa/sqlite-admin.js";
import { isAuthError } from "../../errors.js";
import {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  parseKeyId,
  SHARED_KEY_LABEL,
  type TokenHeader,
} from "../../tokens/claims.js";
import { decodeUnverified } from "../../tokens/decode.js";
import type { CliContext } from "../context.js";
import { age, printable, remaining, shortTime, UsageError } from "../output.js";
import { readTokenInput, TOKEN_INPUT_HELP } from "../token-input.js";
import { recordJson, TokenStatusJudge } from "../token-status.js";

const TOLERANCE_HELP = `
Validity is judged as a service with default settings judges it. Services accept a token
until its exp plus their clock tolerance (${DEFAULT_CLOCK_TOLERANCE_SECONDS} s by default; the clockToleranceSeconds
option of AuthService and TokenService), which absorbs clock differences between machines.
So a token a few seconds past its exp still shows VALID, with how long it stays accepted:
  Expires:   2026-01-15 10:30Z (expired 2 s ago; accepted for 28 s more: clock tolerance 30 s)`;

/** How a token's `exp` stands against the clock tolerance, for people and for --json. */
function expiry(exp: number | undefined, nowMs: number, tolerance: number) {
  if (exp === undefined) return { text: "-", json: null };
  const now = Math.floor(nowMs / 1000); // as the verifier counts (whole seconds)
  const at = new Date(exp * 1000);
  const json = { at: at.toISOString(), clockToleranceSeconds: tolerance };
  if (now < exp) {
    return {
      text: `${shortTime(at)} (${remaining(at, nowMs)})`,
      json: { ...json, expired: false },
    };
  }
  const ago = now - exp;
  const left = exp + tolerance - now;
  const agoText = ago < 120 ? `${ago} s` : age(at, nowMs);
  const text =
    left > 0
      ? `expired ${agoText} ago; accepted for ${left} s more: clock tolerance ${tolerance} s`
      : `expired ${agoText} ago; past the clock tolerance of ${tolerance} s`;
  return {
    text: `${shortTime(at)} (${text})`,
    json: { ...json, expired: true, acceptedForSeconds: Math.max(0, left) },
  };
}

/**
 * The key the token names, as the store holds it now. HS256: the current version of the
 * secret its kid names (an issuer's own, else the shared one). EdDSA: the issuer's key pair,
 * read through the operator's key admin (not the services' public key set, which exists only
 * where `<P>_ISSUER_ALGORITHMS` lists EdDSA), so the shared secret is not needed to inspect an
 * EdDSA token.
 */
async function signingKey(plane: AuthEnabled, header: TokenHeader) {
  const kid = typeof header.kid === "string" ? header.kid : undefined;
  const parsed = kid === undefined ? undefined : parseKeyId(kid);
  if (header.alg !== "EdDSA" || !parsed) return hs256Key(plane, header, kid, parsed?.label);
  const admin = await plane.admin.eddsaKeys();
  let listing: EdDsaKeyListing | undefined;
  try {
    listing = await admin.list(parsed.label);
  } catch (error) {
    if (!isAuthError(error, "secret_unavailable")) throw error;
  }
  const json = {
    kid,
    algorithm: "EdDSA",
    issuer: parsed.label,
    latestVersion: listing?.latest ?? null,
    minVersion: listing?.minVersion ?? null,
    fingerprint:
      listing?.versions.find((version) => version.version === parsed.version)?.fingerprint ?? null,
  };
  if (!listing) {
    return {
      text: `${kid} (EdDSA); ${parsed.label} has no EdDSA key in ${admin.description}`,
      json,
    };
  }
  const state =
    parsed.version < listing.minVersion
      ? `v${parsed.version} retired (floor v${listing.minVersion})`
      : parsed.version > listing.latest
        ? `no v${parsed.version} yet`
        : `v${parsed.version} ${json.fingerprint}`;
  return {
    text: `${kid} (EdDSA); ${parsed.label}'s key: ${state}, signs with v${listing.latest}`,
    json,
  };
}

/** An HS256 token's key: the issuer's own secret its kid names, else the shared one. */
async function hs256Key(
  plane: AuthEnabled,
  header: TokenHeader,
  kid: string | undefined,
  label: string | undefined,
) {
  const ring = plane.auth.tokens.keyRing;
  const issuer = label !== undefined && label !== SHARED_KEY_LABEL ? label : undefined;
  // A kid naming an issuer whose own secret is gone (deleted) is judged against nothing:
  // say so rather than show the shared key as if it had signed.
  const own = issuer === undefined ? undefined : await ring.ownKeyFresh(issuer);
  const current = own ?? (await ring.shared.getKey());
  const whose =
    issuer === undefined
      ? "current shared key"
      : own
        ? `${issuer}'s own key: current`
        : `${issuer} has no secret of its own now; current shared key`;
  return {
    text: `${kid ?? "(no kid: the current shared key)"}; ${whose} v${current.version} ${current.fingerprint}`,
    json: {
      kid: kid ?? null,
      algorithm: header.alg,
      issuer: own ? issuer : null,
      currentVersion: current.version,
      currentFingerprint: current.fingerprint,
    },
  };
}

const EDDSA_HELP = `
EdDSA tokens (header alg EdDSA, kid <issuer>.v<N>) are judged as a service judges them:
valid only if <PREFIX>_ISSUER_ALGORITHMS in this environment lists EdDSA for the issuer
(the algorithm is never taken from the token alone). "Signed by" then shows the issuer's
key as the store holds it: the token's version and its fingerprint, or that it is retired.`;

export function registerTokensInspect(tokens: Command, ctx: CliContext): void {
  tokens
    .command("inspect")
    .description("show a token's header, claims, validity and signing key (exit 1 if invalid)")
    .argument("[token]", "the token, or - to read it from stdin (prefer - or --token-file)")
    .option("--token-file <path>", "read the token from this file")
    .addHelpText("after", `${TOKEN_INPUT_HELP}\n${TOLERANCE_HELP}\n${EDDSA_HELP}`)
    .action(async (argument: string | undefined, options: { tokenFile?: string }) => {
      const token = await readTokenInput(ctx, argument, options.tokenFile);
      if (!token) throw new UsageError("give the token: -, --token-file <path>, or as an argument");
      const { header, payload } = decodeUnverified(token);
      const plane = await ctx.open();
      const { auth } = plane;
      let validity: { valid: boolean; code?: string; reason?: string };
      try {
        await auth.verifyToken(token);
        validity = { valid: true };
      } catch (error) {
        if (!isAuthError(error) || error.category === "unavailable") throw error;
        validity = { valid: false, code: error.code, reason: error.message };
      }
      const key = await signingKey(plane, header);
      const record =
        typeof payload.jti === "string"
          ? await auth.getToken(payload.jti).catch(() => undefined)
          : undefined;
      const now = ctx.clock();
      const status = record && (await new TokenStatusJudge(plane, now).statusOf(record));
      const exp = typeof payload.exp === "number" ? payload.exp : undefined;
      const expires = expiry(exp, now, DEFAULT_CLOCK_TOLERANCE_SECONDS);
      const result = {
        header,
        claims: payload,
        validity,
        expiry: expires.json,
        key: key.json,
        record: record && status ? recordJson(record, status) : null,
      };
      if (!validity.valid) ctx.exitCode = 1;
      // Every line quotes the token or the store: each is escaped for the terminal (one line
      // each, so a line break in a claim cannot fake another line).
      ctx.emit(
        [
          `Header:    ${JSON.stringify(header)}`,
          `Claims:    ${JSON.stringify(payload)}`,
          `Signed by: ${key.text}`,
          `Expires:   ${expires.text}`,
          `Record:    ${record ? `${status}${record.name ? `, name ${record.name}` : ""}` : "not in the store"}`,
          `Status:    ${validity.valid ? "VALID" : `INVALID [${validity.code}] ${validity.reason}`}`,
        ]
          .map((line) => `${printable(line)}\n`)
          .join(""),
        result,
      );
    });
}
