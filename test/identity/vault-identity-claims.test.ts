/**
 * VaultIdentityVerifier's claim, group and key set handling, with tokens the test signs
 * itself and a key set served from a small HTTP server on 127.0.0.1 (`jwksUrl`): the cases
 * Vault never produces (a missing `sub`, `nbf`, a too-old `iat`, odd group claims) and the
 * ways a key set can be unusable.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type JWTPayload, SignJWT } from "jose";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AuthError } from "../../src/errors.js";
import {
  VaultIdentityVerifier,
  type VaultIdentityVerifierOptions,
} from "../../src/identity/index.js";
import { ManualClock } from "../../src/testing/clock.js";
import { captureLogger } from "../support/capture-logger.js";
import { rejection } from "../vault/helpers.js";

const ISSUER = "https://vault.internal:8200/v1/identity/oidc";
const AUDIENCE = "gofr-api";
const KID = "0d5a2c1e-7a53-4b0e-9a57-2f3c8e1b6f10";

let server: Server;
let jwksUrl: string;
/** What the key set server answers next: status and body text. */
let answer: { status: number; body: string };
let privateKey: KeyObject;
let publicJwk: Record<string, unknown>;
const clock = new ManualClock();
const now = () => Math.floor(clock.now() / 1000);
const verifiers: VaultIdentityVerifier[] = [];

function verifier(options: Partial<VaultIdentityVerifierOptions> = {}): VaultIdentityVerifier {
  const created = new VaultIdentityVerifier({
    jwksUrl,
    issuer: ISSUER,
    audience: AUDIENCE,
    clock: clock.now,
    ...options,
  });
  verifiers.push(created);
  return created;
}

/** A token signed with the served key; `claims` replace or (as undefined) drop the defaults. */
function sign(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const base: Record<string, unknown> = {
    iss: ISSUER,
    sub: "9f1c2b7e-entity",
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 900,
    namespace: "root",
  };
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return new SignJWT(base as JWTPayload)
    .setProtectedHeader({ alg: "RS256", kid: KID, ...header })
    .sign(privateKey);
}

async function code(check: VaultIdentityVerifier, token: string): Promise<string> {
  return (await rejection(check.verify(token))).code;
}

beforeAll(async () => {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  privateKey = pair.privateKey;
  publicJwk = { use: "sig", kid: KID, alg: "RS256", ...pair.publicKey.export({ format: "jwk" }) };
  answer = { status: 200, body: JSON.stringify({ keys: [publicJwk] }) };
  server = createServer((_req, res) => {
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/identity/oidc/.well-known/keys`;
});

afterEach(async () => {
  answer = { status: 200, body: JSON.stringify({ keys: [publicJwk] }) };
  await Promise.all(verifiers.splice(0).map((item) => item.close()));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("VaultIdentityVerifier claim checks", () => {
  it("accepts a well-formed token, an aud list that includes the audience too", async () => {
    expect((await verifier().verify(await sign())).subject).toBe("9f1c2b7e-entity");
    const listed = await sign({ aud: ["other", AUDIENCE] });
    expect((await verifier().verify(listed)).claims.aud).toEqual(["other", AUDIENCE]);
  });

  it("needs sub, iat, exp and iss, each of the right type", async () => {
    const check = verifier();
    for (const claims of [
      { sub: undefined },
      { sub: "" },
      { sub: 42 },
      { iat: undefined },
      { iat: "yesterday" },
      { exp: undefined },
      { iss: undefined },
      { aud: undefined },
    ]) {
      expect(await code(check, await sign(claims)), JSON.stringify(claims)).toBe("token_invalid");
    }
  });

  it("refuses nbf in the future, iat in the future and, when asked, an old iat", async () => {
    const check = verifier();
    expect(await code(check, await sign({ nbf: now() + 31 }))).toBe("token_not_yet_valid");
    expect(await code(check, await sign({ iat: now() + 31 }))).toBe("token_not_yet_valid");
    expect((await check.verify(await sign({ iat: now() + 29 }))).subject).toBeTruthy();
    const aged = verifier({ maxTokenAgeSeconds: 600 });
    expect(await code(aged, await sign({ iat: now() - 631 }))).toBe("token_expired");
    expect((await aged.verify(await sign({ iat: now() - 629 }))).subject).toBeTruthy();
  });

  it("maps groups strictly: a claim of the wrong type refuses the token, a bad mapping is ours", async () => {
    const token = await sign({ role: 7, groups: "solo" });
    expect((await verifier({ groupsFrom: { claim: "groups" } }).verify(token)).groups).toEqual([
      "solo",
    ]);
    const byRole = verifier({ groupsFrom: { claim: "role", map: { "7": ["x"] } } });
    expect(await code(byRole, token)).toBe("token_invalid");
    const badFn = verifier({ groupsFrom: () => "admin" as unknown as string[] });
    expect(await code(badFn, token)).toBe("config_invalid");
    const badMap = { claim: "sub", map: { "9f1c2b7e-entity": [""] } };
    expect(await code(verifier({ groupsFrom: badMap }), token)).toBe("config_invalid");
    const prototype = { claim: "sub", map: {} };
    const odd = await sign({ sub: "constructor" });
    expect((await verifier({ groupsFrom: prototype }).verify(odd)).groups).toEqual([]);
  });

  it("refuses a token without kid when several keys could match", async () => {
    const second = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    const other = { use: "sig", kid: "k2", alg: "RS256", ...second.export({ format: "jwk" }) };
    answer = { status: 200, body: JSON.stringify({ keys: [publicJwk, other] }) };
    const error = await rejection(verifier().verify(await sign({}, { kid: undefined })));
    expect(error.code).toBe("token_invalid");
    expect(error.details.joseCode).toBe("ERR_JWKS_MULTIPLE_MATCHING_KEYS");
  });
});

describe("VaultIdentityVerifier key set failures fail closed", () => {
  it("refuses a key set that carries private keys, or is not JSON, as a bad response", async () => {
    const leaked = { ...publicJwk, ...privateKey.export({ format: "jwk" }) };
    answer = { status: 200, body: JSON.stringify({ keys: [leaked] }) };
    const token = await sign();
    const error = await rejection(verifier().verify(token));
    expect(error.code).toBe("vault_bad_response");
    expect(error.message).not.toContain(String((leaked as { d: string }).d));
    answer = { status: 200, body: "<html>proxy error</html>" };
    expect(await code(verifier(), token)).toBe("vault_bad_response");
  });

  it("reads no more than maxResponseBytes of a key set", async () => {
    answer = { status: 200, body: JSON.stringify({ keys: [publicJwk], pad: "x".repeat(4096) }) };
    const error = await rejection(verifier({ maxResponseBytes: 1024 }).verify(await sign()));
    expect(error.code).toBe("vault_bad_response");
    expect(error.message).toContain("1024");
  });

  it("uses a dispatcher it is given, and leaves it open", async () => {
    const agent = new Agent();
    const check = verifier({ dispatcher: agent });
    expect((await check.verify(await sign())).subject).toBe("9f1c2b7e-entity");
    await check.close();
    expect(agent.closed).toBe(false);
    await agent.close();
  });

  it("warns once about plain HTTP to a host that is not loopback", () => {
    const logger = captureLogger();
    verifier({ jwksUrl: "http://vault.internal:8200/v1/identity/oidc/.well-known/keys", logger });
    verifier({ logger });
    expect(logger.entries.map((entry) => entry.level)).toEqual(["warn"]);
    expect(logger.entries[0]?.fields.jwksUrl).toContain("vault.internal");
  });

  it("derives the key set URL from vaultUrl and a namespace", () => {
    const plain = verifier({ jwksUrl: undefined, vaultUrl: "https://vault.internal:8200" });
    expect(plain.jwksUrl).toBe("https://vault.internal:8200/v1/identity/oidc/.well-known/keys");
    const spaced = verifier({
      jwksUrl: undefined,
      vaultUrl: "https://vault.internal:8200/",
      namespace: "/team-a/",
    });
    expect(spaced.jwksUrl).toBe(
      "https://vault.internal:8200/v1/team-a/identity/oidc/.well-known/keys",
    );
  });

  it("keeps the error free of the token and the claims", async () => {
    const token = await sign({ secretish: "do-not-echo-this" });
    const error: AuthError = await rejection(verifier({ audience: "someone-else" }).verify(token));
    const text = `${error.message} ${error.hint} ${JSON.stringify(error.details)} ${String(error.cause)}`;
    expect(text).not.toContain("do-not-echo-this");
    expect(text).not.toContain(token.split(".")[1]);
  });
});
