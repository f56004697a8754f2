/**
 * Issue 18: the CLI's tokens commands with EdDSA issuers. `tokens create --issuer X` mints
 * EdDSA when X's list in this environment's GOFR_ISSUER_ALGORITHMS starts with EdDSA (and
 * HS256 otherwise); `tokens inspect` shows the algorithm, the kid, the issuer's key and
 * whether the token verifies; `tokens list` judges EdDSA tokens by the key's retired floor.
 * On the embedded store and on Vault (Transit), with a service stack verifying as a
 * service would.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isAuthError } from "../../src/errors.js";
import { BACKENDS, closePlanes, type Plane } from "./planes.js";

afterEach(closePlanes);

const MINTS_EDDSA = { GOFR_ISSUER_ALGORITHMS: "deposito=EdDSA,HS256" };
const ACCEPTS_EDDSA = { GOFR_ISSUER_ALGORITHMS: "deposito=HS256,EdDSA" };

interface Created {
  token: string;
  id: string;
  kid: string;
  algorithm: string;
}

async function mint(plane: Plane, env: Record<string, string>, name: string): Promise<Created> {
  const created = await plane.run(
    ["--json", "tokens", "create", "--groups", "public", "--issuer", "deposito", "--name", name],
    env,
  );
  expect(created.code, created.stderr).toBe(0);
  return JSON.parse(created.stdout) as Created;
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8"));
}

async function statusOf(plane: Plane, id: string, env: Record<string, string>): Promise<string> {
  const listed = await plane.run(["--json", "tokens", "list"], env);
  const records = JSON.parse(listed.stdout) as Array<{ id: string; status: string }>;
  return records.find((record) => record.id === id)?.status ?? "missing";
}

describe.each(BACKENDS)("tokens with an EdDSA issuer: $name", ({ make }) => {
  it("tokens create mints EdDSA when the issuer's list starts with EdDSA, HS256 otherwise", async () => {
    const plane = make();
    expect((await plane.run(["init"])).code).toBe(0);
    expect((await plane.run(["keys", "create", "--issuer", "deposito"])).code).toBe(0);

    const eddsa = await mint(plane, MINTS_EDDSA, "dep-eddsa");
    expect(eddsa).toMatchObject({ kid: "deposito.v1", algorithm: "EdDSA" });
    expect(headerOf(eddsa.token)).toEqual({ alg: "EdDSA", typ: "JWT", kid: "deposito.v1" });
    // A service that accepts EdDSA for deposito verifies it with the public key alone.
    const service = await plane.service(ACCEPTS_EDDSA);
    const verified = await service.auth.verifyToken(eddsa.token);
    expect(verified.claims.iss).toBe("deposito");

    const hs256 = await mint(plane, ACCEPTS_EDDSA, "dep-hs256");
    expect(hs256.algorithm).toBe("HS256");
    expect(headerOf(hs256.token).alg).toBe("HS256");
    const plain = await mint(plane, {}, "dep-plain");
    expect(plain.algorithm).toBe("HS256");
  });

  it("tokens inspect shows alg, kid and the issuer's key, and judges by this environment's list", async () => {
    const plane = make();
    expect((await plane.run(["init"])).code).toBe(0);
    expect((await plane.run(["keys", "create", "--issuer", "deposito"])).code).toBe(0);
    const { token } = await mint(plane, MINTS_EDDSA, "dep-inspect");
    const fingerprint = JSON.parse((await plane.run(["--json", "keys", "list"])).stdout).issuers[0]
      .versions[0].fingerprint as string;

    const shown = await plane.run(["tokens", "inspect", token], ACCEPTS_EDDSA);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Header:    {"alg":"EdDSA","typ":"JWT","kid":"deposito.v1"}');
    expect(shown.stdout).toContain(
      `Signed by: deposito.v1 (EdDSA); deposito's key: v1 ${fingerprint}, signs with v1`,
    );
    expect(shown.stdout).toContain("Record:    active, name dep-inspect");
    expect(shown.stdout).toMatch(/^Status: {4}VALID$/m);
    const json = JSON.parse(
      (await plane.run(["--json", "tokens", "inspect", token], ACCEPTS_EDDSA)).stdout,
    );
    expect(json.validity).toEqual({ valid: true });
    expect(json.key).toEqual({
      kid: "deposito.v1",
      algorithm: "EdDSA",
      issuer: "deposito",
      latestVersion: 1,
      minVersion: 1,
      fingerprint,
    });

    // Where deposito is HS256 only, an EdDSA token is refused: the token's alg is not enough.
    const refused = await plane.run(["tokens", "inspect", token]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^Status: {4}INVALID \[token_invalid\] .*EdDSA/m);
  });

  it("retire: the token turns superseded and invalid, and services refuse it within the bound", async () => {
    const plane = make();
    expect((await plane.run(["init"])).code).toBe(0);
    expect((await plane.run(["keys", "create", "--issuer", "deposito"])).code).toBe(0);
    const old = await mint(plane, MINTS_EDDSA, "dep-old");
    const service = await plane.service(ACCEPTS_EDDSA);
    await service.auth.verifyToken(old.token); // cached by the service from now on
    expect(await statusOf(plane, old.id, ACCEPTS_EDDSA)).toBe("active");

    plane.clock.advance(60_000);
    expect((await plane.run(["keys", "rotate", "--issuer", "deposito"])).code).toBe(0);
    const fresh = await mint(plane, MINTS_EDDSA, "dep-new");
    expect(fresh.kid).toBe("deposito.v2");
    await service.auth.verifyToken(old.token); // rotating invalidates nothing

    const retired = await plane.run(
      ["keys", "retire", "--issuer", "deposito", "--below", "2", "--yes"],
      ACCEPTS_EDDSA,
    );
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout).toContain(
      `1 active tokens of deposito were created before v2 existed (`,
    );
    expect(retired.stdout).toContain(`dep-old (${old.id}). Re-issue them.`);
    expect(await statusOf(plane, old.id, ACCEPTS_EDDSA)).toBe("superseded");
    expect(await statusOf(plane, fresh.id, ACCEPTS_EDDSA)).toBe("active");
    const inspected = await plane.run(["tokens", "inspect", old.token], ACCEPTS_EDDSA);
    expect(inspected.code).toBe(1);
    expect(inspected.stdout).toContain("deposito's key: v1 retired (floor v2), signs with v2");

    await plane.settle(service);
    const refusal = await service.auth.verifyToken(old.token).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isAuthError(refusal, "token_invalid")).toBe(true);
    await service.auth.verifyToken(fresh.token);
  });
});
