/**
 * Issue 16, "rotation that means what it says": `secrets rotate` (and `secrets leaked`) print
 * when tokens signed with the old version stop being accepted, from the settings of the
 * environment the CLI runs in: the embedded store's next request, Vault's propagation
 * interval, the secret TTL with propagation off, or the rotation grace when longer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closePlanes, type Plane, sqlitePlane, vaultPlane } from "./planes.js";

afterEach(closePlanes);

describe("the rotation bound printed by secrets rotate and secrets leaked", () => {
  async function rotated(make: () => Plane, env: Record<string, string>) {
    const plane = make();
    expect((await plane.run(["init"])).code).toBe(0);
    const human = await plane.run(["secrets", "rotate", "--yes"], env);
    expect(human.code, human.stderr).toBe(0);
    const machine = await plane.run(["--json", "secrets", "rotate", "--yes"], env);
    const leaked = await plane.run(["secrets", "leaked", "--yes"], env);
    return {
      line: human.stdout.split("\n")[1],
      json: (JSON.parse(machine.stdout) as { oldTokensRefused: object }).oldTokensRefused,
      leaked: leaked.stdout,
    };
  }

  it("embedded store, no grace: from each service's next request", async () => {
    const { line, json, leaked } = await rotated(sqlitePlane, {});
    expect(line).toBe(
      "Old tokens: refused by every service on this store from its next request (embedded store).",
    );
    expect(json).toMatchObject({ basis: "next_request", seconds: null });
    expect(leaked).toContain(line);
    expect(leaked).toContain(
      "Revoked tokens: refused by every store-checked service from its next request (embedded store).",
    );
  });

  it("rotation grace: after the grace", async () => {
    const { line, json } = await rotated(sqlitePlane, { GOFR_ROTATION_GRACE: "3600" });
    expect(line).toContain("after 3600 s (GOFR_ROTATION_GRACE=3600, as set here;");
    expect(json).toMatchObject({ basis: "rotation_grace", seconds: 3600 });
  });

  it("Vault: within the propagation interval (default 2 s), or the grace when longer", async () => {
    const plain = await rotated(vaultPlane, {});
    expect(plain.line).toContain(
      "within 2 s plus one store read (GOFR_PROPAGATION_SECONDS=2, as set here;",
    );
    expect(plain.json).toMatchObject({ basis: "propagation", seconds: 2 });
    const shortGrace = await rotated(vaultPlane, { GOFR_ROTATION_GRACE: "1" });
    expect(shortGrace.json).toMatchObject({ basis: "propagation", seconds: 2 });
    const longGrace = await rotated(vaultPlane, { GOFR_ROTATION_GRACE: "60" });
    expect(longGrace.json).toMatchObject({ basis: "rotation_grace", seconds: 60 });
  });

  it("Vault with propagation off: within the secret TTL", async () => {
    const off = await rotated(vaultPlane, {
      GOFR_PROPAGATION_SECONDS: "0",
      GOFR_JWT_SECRET_TTL: "120",
      GOFR_TOKEN_CACHE_TTL: "45",
    });
    expect(off.line).toContain(
      "within 120 s (GOFR_JWT_SECRET_TTL=120, propagation off, as set here;",
    );
    expect(off.json).toMatchObject({ basis: "secret_ttl", seconds: 120 });
    expect(off.leaked).toContain(
      "Revoked tokens: refused by every store-checked service within 45 s (GOFR_TOKEN_CACHE_TTL=45, propagation off).",
    );
  });
});
