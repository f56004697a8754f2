/**
 * Issue 16, "rotation that means what it says": `secrets leaked` rotates the leaked key and
 * then revokes every active record signed with it (a dry run lists them and changes
 * nothing), on the embedded store and on Vault (the double, with the compose stack's admin
 * policy), and running services on the same store then refuse the old tokens. One manual
 * clock drives the CLI, the service stacks and the Vault double (see planes.ts).
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { AuthEnabled } from "../../src/config/resolve.js";
import { isAuthError } from "../../src/errors.js";
import { BACKENDS, closePlanes, type Plane } from "./planes.js";

afterEach(closePlanes);

interface ListedToken {
  id: string;
  name: string | null;
  status: string;
  revokedAt: string | null;
}

interface LeakedJson {
  dryRun: boolean;
  rotation?: { name: string; version: number; oldFingerprint: string; newFingerprint: string };
  secret?: { name: string; version: number; fingerprint: string };
  counts?: { revoked: number; alreadyRevoked: number; failed: number };
  tokens: Array<{ id: string; name: string | null; issuer: string | null; result?: string }>;
}

describe.each(BACKENDS)("secrets leaked: $name", ({ make }) => {
  let plane: Plane;
  const ok = async (args: string[]) => {
    const result = await plane.run(args);
    expect(result.code, result.stderr).toBe(0);
    return result;
  };
  const json = async <T>(args: string[]) => JSON.parse((await ok(["--json", ...args])).stdout) as T;
  const mint = async (name: string, ...extra: string[]) =>
    (await ok(["tokens", "create", "-g", "work", "--name", name, ...extra])).stdout.trim();
  const idOf = (token: string) =>
    (
      JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()) as {
        jti: string;
      }
    ).jti;
  const list = () => json<ListedToken[]>(["tokens", "list"]);
  const byName = async () => new Map((await list()).map((record) => [record.name, record]));
  const sharedVersion = async () =>
    (await json<Array<{ issuer: string; version: number }>>(["secrets", "status"])).find(
      (row) => row.issuer === "shared",
    )?.version;

  /** A record as the Python fleet writes it: no issuer, no key label (= the shared key). */
  async function pythonRecord(service: AuthEnabled): Promise<string> {
    const id = randomUUID();
    await service.store.insertToken({
      id,
      name: "py-worker",
      groups: ["work"],
      status: "active",
      createdAt: new Date(plane.clock.now()),
      expiresAt: new Date(plane.clock.now() + 86_400_000),
      revokedAt: null,
      fingerprint: null,
    });
    return id;
  }

  /**
   * A store with every kind of record: shared-key active ones (init-admin, `old`, the Python
   * fleet's), one already revoked, one expired, and one signed with deposito's own key.
   */
  async function mixedStore() {
    await ok(["init"]);
    await ok(["groups", "create", "work"]);
    await ok(["secrets", "generate", "--issuer", "deposito"]);
    const expired = await mint("short", "--expires", "60");
    plane.clock.advanceSeconds(120); // past expiry plus the 30 s clock tolerance
    const old = await mint("old");
    const revoked = await mint("gone");
    await ok(["tokens", "revoke", "--name", "gone"]);
    const deposito = await mint("dep-own", "--issuer", "deposito");
    const python = await pythonRecord(await plane.service());
    const admin = (await byName()).get("init-admin")?.id as string;
    return { expired, old, revoked, deposito, python, admin };
  }

  it("--dry-run lists exactly the active records signed with the key and changes nothing", async () => {
    plane = make();
    const t = await mixedStore();
    const before = await list();

    const dry = await json<LeakedJson>(["secrets", "leaked", "--dry-run"]);
    expect(dry.dryRun).toBe(true);
    expect(dry.secret).toMatchObject({ name: "gofr/config/jwt-signing-secret", version: 1 });
    expect(dry.tokens.map((token) => token.id).sort()).toEqual(
      [t.admin, idOf(t.old), t.python].sort(),
    );
    expect(dry.tokens.find((token) => token.id === t.python)).toMatchObject({
      name: "py-worker",
      issuer: null,
    });
    const human = await ok(["secrets", "leaked", "--dry-run"]);
    expect(human.stdout).toContain("Dry run: nothing changed");
    expect(human.stdout).toMatch(/ID\s+NAME\s+ISSUER\s+CREATED\s+EXPIRES/);
    expect(human.stdout).toMatch(new RegExp(`${idOf(t.old)}\\s+old\\s+gofr-auth\\s+2026-`));

    expect(await list()).toEqual(before);
    expect(await sharedVersion()).toBe(1);
  });

  it("rotates first, then revokes exactly those records; newer and other-key tokens stay", async () => {
    plane = make();
    const t = await mixedStore();
    // Minted by a service whose clock runs an hour ahead: created after the cutoff.
    const ahead = await plane.service({ GOFR_ISSUER: "gofr-auth" }, 3_600_000);
    const later = await ahead.auth.createToken({ groups: ["work"], name: "later" });
    const revokedAt = (await byName()).get("gone")?.revokedAt;

    const run = await plane.run(["--json", "secrets", "leaked", "--yes"], {}, true);
    expect(run.code, run.stderr).toBe(0);
    const leaked = JSON.parse(run.stdout) as LeakedJson;
    expect(leaked.rotation).toMatchObject({ name: "gofr/config/jwt-signing-secret", version: 2 });
    expect(leaked.counts).toEqual({ revoked: 3, alreadyRevoked: 0, failed: 0 });
    // Fingerprints only: neither version's value is printed.
    for (const version of [1, 2]) {
      const { value } = await ahead.secretSource.read("gofr/config/jwt-signing-secret", version);
      expect(run.stdout + run.stderr).not.toContain(value);
    }
    expect(leaked.tokens.map((token) => token.id).sort()).toEqual(
      [t.admin, idOf(t.old), t.python].sort(),
    );
    expect(await sharedVersion()).toBe(2);

    // Rotated first: the new version is older than every revocation (the clock ticked).
    const rotatedAt = Date.parse(
      (await json<Array<{ issuer: string; createdAt: string }>>(["secrets", "status"])).find(
        (row) => row.issuer === "shared",
      )?.createdAt as string,
    );
    const after = await byName();
    for (const name of ["init-admin", "old", "py-worker"]) {
      expect(Date.parse(after.get(name)?.revokedAt as string), name).toBeGreaterThan(rotatedAt);
    }
    for (const name of ["init-admin", "old", "py-worker"]) {
      expect(after.get(name)?.status, name).toBe("revoked");
    }
    expect(after.get("gone")?.revokedAt).toBe(revokedAt); // untouched
    expect(after.get("dep-own")?.status).toBe("active");
    expect(after.get("later")?.status).not.toBe("revoked");
    expect(after.get("later")?.id).toBe(later.record.id);
    const fresh = await mint("fresh");
    expect((await byName()).get("fresh")?.status).toBe("active");
    expect(fresh.split(".").length).toBe(3);
  });

  it("running services refuse the old token within the propagation bound, grace or not, and accept a new one", async () => {
    plane = make();
    await ok(["init"]);
    await ok(["groups", "create", "work"]);
    await ok(["secrets", "generate", "--issuer", "deposito"]);
    const old = await mint("old");
    const other = await mint("dep-own", "--issuer", "deposito");
    const strict = await plane.service();
    // In a rotation grace the old version still verifies: only the revocation refuses it.
    const graceful = await plane.service({ GOFR_ROTATION_GRACE: "3600" });
    for (const service of [strict, graceful]) {
      expect((await service.auth.verifyToken(old)).tokenId).toBe(idOf(old)); // caches warm
    }

    await ok(["secrets", "leaked", "--yes"]);
    await plane.settle(strict); // the same interval for both

    const refusal = (service: AuthEnabled) =>
      service.auth.verifyToken(old).then(
        () => "accepted",
        (error: unknown) => (isAuthError(error) ? error.code : String(error)),
      );
    expect(await refusal(strict)).toMatch(/^token_(invalid|revoked)$/);
    expect(await refusal(graceful)).toBe("token_revoked");
    const fresh = await mint("fresh");
    const header = JSON.parse(Buffer.from(fresh.split(".")[0] as string, "base64url").toString());
    expect(header.kid).toBe("shared.v2");
    for (const service of [strict, graceful]) {
      expect((await service.auth.verifyToken(other)).tokenId).toBe(idOf(other));
      expect((await service.auth.verifyToken(fresh)).tokenId).toBe(idOf(fresh));
    }
  });

  it("--issuer rotates that issuer's own secret and revokes only the tokens signed with it", async () => {
    plane = make();
    await ok(["init"]);
    await ok(["groups", "create", "work"]);
    // Minted as deposito before it had its own key: signed with the shared key.
    await mint("dep-shared", "--issuer", "deposito");
    await ok(["secrets", "generate", "--issuer", "deposito"]);
    const own = await mint("dep-own", "--issuer", "deposito");
    await ok(["secrets", "generate", "--issuer", "negocio"]);
    await mint("neg-own", "--issuer", "negocio");

    const dry = await json<LeakedJson>(["secrets", "leaked", "--issuer", "deposito", "--dry-run"]);
    expect(dry.tokens.map((token) => token.id)).toEqual([idOf(own)]);

    const leaked = await json<LeakedJson>(["secrets", "leaked", "--issuer", "deposito", "--yes"]);
    expect(leaked.rotation).toMatchObject({
      name: "gofr/config/jwt-signing-secrets/deposito",
      version: 2,
    });
    expect(leaked.tokens.map((token) => token.id)).toEqual([idOf(own)]);
    expect(await sharedVersion()).toBe(1);
    const after = await byName();
    expect(after.get("dep-own")?.status).toBe("revoked");
    for (const name of ["dep-shared", "neg-own", "init-admin"]) {
      expect(after.get(name)?.status, name).toBe("active");
    }

    const typo = await plane.run(["secrets", "leaked", "--issuer", "depositoo", "--yes"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("gofr-auth secrets generate --issuer depositoo");
  });

  it("refuses without --yes (exit 2): nothing rotated, nothing revoked", async () => {
    plane = make();
    await ok(["init"]);
    const refused = await plane.run(["secrets", "leaked"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--dry-run");
    expect(refused.stderr).toContain("--yes");
    expect(await sharedVersion()).toBe(1);
    expect((await byName()).get("init-admin")?.status).toBe("active");
  });

  it("a failed revocation is reported and exits 1, and the others are still revoked", async () => {
    plane = make();
    await ok(["init"]);
    await ok(["groups", "create", "work"]);
    const tokens = [await mint("one"), await mint("two"), await mint("three")];
    const stuck = idOf(tokens[1] as string);
    plane.failWritesOf(stuck);

    const result = await plane.run(["--json", "secrets", "leaked", "--yes"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: token ${stuck} not revoked:`);
    const report = JSON.parse(result.stdout) as LeakedJson;
    expect(report.counts).toEqual({ revoked: 3, alreadyRevoked: 0, failed: 1 });
    expect(report.tokens.find((token) => token.id === stuck)?.result).toBe("failed");

    const after = await byName();
    expect(after.get("two")?.status).not.toBe("revoked");
    for (const name of ["one", "three", "init-admin"]) {
      expect(after.get(name)?.status, name).toBe("revoked");
    }
    const human = await plane.run(["secrets", "leaked", "--yes"]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(new RegExp(`${stuck}\\s+two\\s+.*failed`));
    expect(human.stdout).toContain("gofr-auth tokens revoke <id>");
  });
});
