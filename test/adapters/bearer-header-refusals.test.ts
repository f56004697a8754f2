/**
 * The catalogue of `Authorization` header refusals (`readBearerToken`, public through
 * `gofr-auth/node`): for each shape, the code, the message and the hint an operator reads in
 * the server log and the audit event, spelled out here independently of the code. Every
 * adapter calls the same function; test/security/adapters-headers.test.ts covers the wire.
 */
import { describe, expect, it } from "vitest";
import { readBearerToken } from "../../src/adapters/node.js";
import { type Case, checkRefusal, type Refusal } from "../tokens/refusals.js";

const TOKEN = "abc.DEF-123_~+/.xyz==";
const HINT = "send exactly one 'Authorization: Bearer <token>' header";
const MISSING: Refusal = {
  code: "token_missing",
  message: "No bearer token: send 'Authorization: Bearer <token>'",
};
const LIST: Refusal = {
  code: "token_malformed",
  message: "More than one Authorization header was sent",
  hint: HINT,
};
const NOT_BEARER: Refusal = {
  code: "token_malformed",
  message: "The Authorization header is not 'Bearer <token>' (one space, one token)",
  hint: HINT,
};

const refusals: Case[] = [
  {
    name: "no header is a missing token",
    run: () => readBearerToken(undefined),
    expected: MISSING,
  },
  { name: "a null header is a missing token", run: () => readBearerToken(null), expected: MISSING },
  { name: "an empty header is a missing token", run: () => readBearerToken(""), expected: MISSING },
  { name: "an empty list is a missing token", run: () => readBearerToken([]), expected: MISSING },
  {
    name: "two headers are refused as a list, even two copies of one token",
    run: () => readBearerToken([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]),
    expected: LIST,
  },
  {
    name: "one header given as a list of one is still a list",
    run: () => readBearerToken([`Bearer ${TOKEN}`]),
    expected: LIST,
  },
  // Another scheme with a 6-letter name and a space: each scheme letter must match.
  {
    name: "another scheme of the same length is not Bearer",
    run: () => readBearerToken(`Digest ${TOKEN}`),
    expected: NOT_BEARER,
  },
  {
    name: "one wrong letter in the scheme is not Bearer",
    run: () => readBearerToken(`Bearor ${TOKEN}`),
    expected: NOT_BEARER,
  },
  // NUL | 0x20 is the space: the separator is compared exactly, not case-folded.
  {
    name: "a NUL in place of the space is not Bearer",
    run: () => readBearerToken(`Bearer\u0000${TOKEN}`),
    expected: NOT_BEARER,
  },
  {
    name: "a tab in place of the space is not Bearer",
    run: () => readBearerToken(`Bearer\t${TOKEN}`),
    expected: NOT_BEARER,
  },
  {
    name: "the scheme alone is not Bearer",
    run: () => readBearerToken("Bearer"),
    expected: NOT_BEARER,
  },
  {
    name: "the scheme and a space without a token is not Bearer",
    run: () => readBearerToken("Bearer "),
    expected: NOT_BEARER,
  },
  {
    name: "a shorter text is not Bearer",
    run: () => readBearerToken("Bear"),
    expected: NOT_BEARER,
  },
  {
    name: "two spaces before the token are not Bearer",
    run: () => readBearerToken(`Bearer  ${TOKEN}`),
    expected: NOT_BEARER,
  },
  {
    name: "a comma-joined second credential is not Bearer",
    run: () => readBearerToken(`Bearer ${TOKEN}, Bearer ${TOKEN}`),
    expected: NOT_BEARER,
  },
];

describe("readBearerToken refusals", () => {
  it.each(refusals)("$name", (refusal) => checkRefusal(refusal, [TOKEN]));
});

describe("readBearerToken", () => {
  it("returns the token of 'Bearer <token>', the scheme in any case", () => {
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      expect(readBearerToken(`${scheme} ${TOKEN}`)).toBe(TOKEN);
    }
  });
});
