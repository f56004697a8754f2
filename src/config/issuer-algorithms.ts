/**
 * `<P>_ISSUER_ALGORITHMS`: which algorithms each issuer's tokens may use, as
 * `issuer=ALG[,ALG];issuer=ALG[,ALG]`, e.g. `deposito=EdDSA,HS256;agent-x=EdDSA`. The first
 * algorithm of an issuer is what it mints; every listed one verifies (see
 * `TokenServiceOptions.issuerAlgorithms`). Issuers not listed stay HS256 only.
 */
import { z } from "zod";
import type { TokenAlgorithm } from "../tokens/algorithms.js";
import { SHARED_KEY_LABEL } from "../tokens/claims.js";

/** The algorithms a list may name, by their spelling in any case. */
const ALGORITHMS = new Map<string, TokenAlgorithm>([
  ["hs256", "HS256"],
  ["eddsa", "EdDSA"],
]);
/** An issuer name: a `kid` label, as `<P>_ISSUER` is checked. */
const ISSUER = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export type IssuerAlgorithmsConfig = Record<string, TokenAlgorithm[]>;

/** The variable's value, checked: every problem found, or the lists by issuer. */
export function parseIssuerAlgorithms(
  raw: string,
): { ok: true; value: IssuerAlgorithmsConfig } | { ok: false; problems: string[] } {
  const value: IssuerAlgorithmsConfig = {};
  const problems: string[] = [];
  const entries = raw
    .split(";")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) problems.push("lists no issuer");
  for (const entry of entries) {
    const problem = addEntry(value, entry);
    if (problem) problems.push(problem);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

/** Adds `issuer=ALG,...` to `value`, or says what is wrong with it. */
function addEntry(value: IssuerAlgorithmsConfig, entry: string): string | undefined {
  const shown = JSON.stringify(entry.length > 40 ? `${entry.slice(0, 40)}...` : entry);
  const equals = entry.indexOf("=");
  if (equals < 0) return `${shown} is not issuer=ALG[,ALG]`;
  const issuer = entry.slice(0, equals).trim();
  if (!ISSUER.test(issuer)) {
    return `${shown}: the issuer must be a lower-case name (a-z 0-9 _ -, at most 64)`;
  }
  if (Object.hasOwn(value, issuer)) return `issuer '${issuer}' is listed twice`;
  const names = entry
    .slice(equals + 1)
    .split(",")
    .map((name) => name.trim());
  const list: TokenAlgorithm[] = [];
  for (const name of names) {
    const algorithm = ALGORITHMS.get(name.toLowerCase());
    if (!algorithm) {
      return `'${issuer}': ${JSON.stringify(name.slice(0, 20))} is not HS256 or EdDSA`;
    }
    if (list.includes(algorithm)) return `'${issuer}' lists ${algorithm} twice`;
    list.push(algorithm);
  }
  if (issuer === SHARED_KEY_LABEL && list.some((algorithm) => algorithm !== "HS256")) {
    return `'${SHARED_KEY_LABEL}' (the shared HMAC key) can only be HS256`;
  }
  value[issuer] = list;
  return undefined;
}

/** The zod schema `readAuthEnv` uses: one issue per problem. */
export const issuerAlgorithmsSchema = z.string().transform((raw, context) => {
  const parsed = parseIssuerAlgorithms(raw);
  if (parsed.ok) return parsed.value;
  for (const message of parsed.problems) context.addIssue({ code: "custom", message });
  return z.NEVER;
});

/** The issuers whose tokens may be EdDSA, in the order listed. */
export function eddsaIssuers(config: IssuerAlgorithmsConfig | undefined): string[] {
  return Object.entries(config ?? {})
    .filter(([, list]) => list.includes("EdDSA"))
    .map(([issuer]) => issuer);
}

/** The issuers that mint EdDSA (their list starts with it). */
export function eddsaMinters(config: IssuerAlgorithmsConfig | undefined): string[] {
  return Object.entries(config ?? {})
    .filter(([, list]) => list[0] === "EdDSA")
    .map(([issuer]) => issuer);
}
