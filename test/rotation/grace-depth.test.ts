/**
 * How far back the rotation grace reaches. Only the version just before the current one is
 * accepted, and only for `rotationGraceSeconds` after the current version was created
 * (docs/operations.md, architecture.md "Previous-version grace"). A token two or more
 * versions old is refused even while that window is open, including right after two quick
 * rotations: the second one must cut off the first version at once.
 *
 * A minter and a verifier (grace 600 s) share the Vault double; the operator CLI rotates.
 * Time is a ManualClock shared by all of them, so the verifier's 300 s secret cache never
 * expires: it learns each new version through the forced read a newer `kid` triggers, which
 * is why every check presents the newest token first.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import { describeDoubleOnly, startTarget, type VaultTarget } from "../vault/target.js";
import {
  depositoSecret,
  type FleetProcess,
  fleetProcess,
  type Minted,
  mintOver,
  operatorCli,
  type RunningServer,
  startMinter,
  startVerifier,
  whoami,
} from "./fleet.js";

const GRACE_SECONDS = 600;

/** The key rotated: deposito's own, or the shared one (deposito then signs with it). */
const KEYS = [
  { label: "deposito", secret: depositoSecret, rotate: ["--issuer", "deposito"] },
  { label: "shared", secret: "gofr/config/jwt-signing-secret", rotate: [] },
] as const;
type Key = (typeof KEYS)[number];

describeDoubleOnly(
  "rotation grace depth (minter and verifier over HTTP)",
  "drives the double's clock and writes the fleet's fixed secret paths",
  () => {
    let target: VaultTarget;
    let clock: ManualClock;
    const servers: RunningServer[] = [];

    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
      target = await startTarget({ clock: clock.now });
    });

    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.close()));
      await target.stop();
    });

    /** A minter and a verifier with the grace on, and the key's v1. */
    async function fleet(key: Key) {
      await operatorCli(target, ["init"], clock.now);
      if (key.label !== "shared") {
        await operatorCli(target, ["secrets", "generate", "--issuer", key.label], clock.now);
      }
      const minter = fleetProcess(target, "minter", { clock: clock.now });
      const verifier = fleetProcess(target, "verifier", {
        clock: clock.now,
        rotationGraceSeconds: GRACE_SECONDS,
      });
      const minterServer = await startMinter(minter);
      const verifierServer = await startVerifier(verifier);
      servers.push(minterServer, verifierServer);
      return { minter, minterUrl: minterServer.url, verifierUrl: verifierServer.url };
    }

    /** Moves time, rotates the key with the CLI, and lets the minter pick the new version. */
    async function rotate(key: Key, minter: FleetProcess, afterSeconds: number) {
      clock.advanceSeconds(afterSeconds);
      const rotated = await operatorCli(
        target,
        ["secrets", "rotate", ...key.rotate, "--yes"],
        clock.now,
      );
      await minter.provider(key.label).refresh();
      return rotated;
    }

    const present = async (url: string, minted: Minted) => {
      const answer = await whoami(url, minted.token);
      return { status: answer.status, code: answer.code, keyId: answer.keyId };
    };
    const accepted = (kid: string) => ({ status: 200, code: undefined, keyId: kid });
    const refused = { status: 401, code: "token_invalid", keyId: undefined };

    it.each(KEYS)(
      "$label key: after two quick rotations, v1 is refused while v2 is within the grace",
      async (key) => {
        const { minter, minterUrl, verifierUrl } = await fleet(key);
        const v1 = await mintOver(minterUrl);
        expect(await present(verifierUrl, v1)).toEqual(accepted(`${key.label}.v1`));

        // v2 at t+60 and v3 at t+120: v2 was created well inside the grace window.
        await rotate(key, minter, 60);
        const v2 = await mintOver(minterUrl);
        expect((await rotate(key, minter, 60)).version).toBe(3);
        const v3 = await mintOver(minterUrl);
        expect([v1.kid, v2.kid, v3.kid]).toEqual([1, 2, 3].map((v) => `${key.label}.v${v}`));

        clock.advanceSeconds(30);
        expect(await present(verifierUrl, v3)).toEqual(accepted(v3.kid));
        expect(await present(verifierUrl, v2)).toEqual(accepted(v2.kid));
        // Two versions old: refused, although its successor v2 is younger than the grace.
        expect(await present(verifierUrl, v1)).toEqual(refused);
        // The refusal holds on a repeat (nothing cached from the earlier v1 acceptance).
        expect(await present(verifierUrl, v1)).toEqual(refused);
      },
    );

    it.each(KEYS)(
      "$label key: three versions back is refused, and the previous version once the grace ends",
      async (key) => {
        const { minter, minterUrl, verifierUrl } = await fleet(key);
        const v1 = await mintOver(minterUrl);
        await rotate(key, minter, 10);
        const v2 = await mintOver(minterUrl);
        await rotate(key, minter, 10);
        const v3 = await mintOver(minterUrl);
        await rotate(key, minter, 10);
        const v4 = await mintOver(minterUrl);

        expect(await present(verifierUrl, v4)).toEqual(accepted(v4.kid));
        expect(await present(verifierUrl, v3)).toEqual(accepted(v3.kid));
        expect(await present(verifierUrl, v2)).toEqual(refused);
        expect(await present(verifierUrl, v1)).toEqual(refused);

        // One second past the grace after v4 was created: v3 goes too, v4 stays.
        clock.advanceSeconds(GRACE_SECONDS + 1);
        expect(await present(verifierUrl, v4)).toEqual(accepted(v4.kid));
        expect(await present(verifierUrl, v3)).toEqual(refused);
      },
    );
  },
);
