import type { Command } from "commander";
import { isAuthError } from "../../errors.js";
import { DEFAULT_CLOCK_TOLERANCE_SECONDS } from "../../tokens/claims.js";
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

export function registerTokensInspect(tokens: Command, ctx: CliContext): void {
  tokens
    .command("inspect")
    .description("show a token's header, claims, validity and signing key (exit 1 if invalid)")
    .argument("[token]", "the token, or - to read it from stdin (prefer - or --token-file)")
    .option("--token-file <path>", "read the token from this file")
    .addHelpText("after", `${TOKEN_INPUT_HELP}\n${TOLERANCE_HELP}`)
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
      const current = await auth.tokens.secretProvider.getKey();
      const record =
        typeof payload.jti === "string"
          ? await auth.getToken(payload.jti).catch(() => undefined)
          : undefined;
      const now = ctx.clock();
      const status = record && (await new TokenStatusJudge(plane, now).statusOf(record));
      const key = {
        kid: header.kid ?? null,
        currentVersion: current.version,
        currentFingerprint: current.fingerprint,
      };
      const exp = typeof payload.exp === "number" ? payload.exp : undefined;
      const expires = expiry(exp, now, DEFAULT_CLOCK_TOLERANCE_SECONDS);
      const result = {
        header,
        claims: payload,
        validity,
        expiry: expires.json,
        key,
        record: record && status ? recordJson(record, status) : null,
      };
      if (!validity.valid) ctx.exitCode = 1;
      // Every line quotes the token or the store: each is escaped for the terminal (one line
      // each, so a line break in a claim cannot fake another line).
      ctx.emit(
        [
          `Header:    ${JSON.stringify(header)}`,
          `Claims:    ${JSON.stringify(payload)}`,
          `Signed by: ${header.kid ?? "(no kid: the current shared key)"}; current key v${current.version} ${current.fingerprint}`,
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
