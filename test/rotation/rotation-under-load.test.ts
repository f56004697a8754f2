/**
 * Issue 7: rotating a signing secret while two services serve traffic over real HTTP.
 *
 * A minter (`POST /token`, AuthService.forIssuer("deposito") on its own Vault client) and a
 * verifier (`GET /whoami` behind the node adapter, its own Vault client, default 300 s
 * secret TTL) share the Vault double. 2,000 requests, 50 in flight, each mint a fresh
 * token and present it. When the 1,000th completes, the operator CLI runs
 * `gofr-auth secrets rotate [--issuer deposito] --yes` (deposito's own key, or the shared key
 * deposito falls back to when it has none) and the minter refreshes its key. One
 * client got its token just before the rotation and presents it after the verifier has
 * learnt the new version; every other client whose old-version token comes back after the
 * rotation does the same (they are "slow clients"). Vault answers the verifier's read of
 * the new version with 100 ms latency, so new-version tokens pile up while it runs.
 *
 * Time is a ManualClock shared by the double and both services: it moves only when the test
 * moves it (5 s at the rotation), so the verifier's 300 s cache never expires and anything it
 * learns, it learns through the forced read on a newer `kid`.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import type { TokenVerifier } from "../../src/adapters/node.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { describeDoubleOnly, startTarget, type VaultTarget } from "../vault/target.js";
import {
  depositoSecret,
  fleetProcess,
  type Minted,
  mintOver,
  operatorCli,
  type RunningServer,
  secretReads,
  startMinter,
  startVerifier,
  type WhoamiAnswer,
  whoami,
} from "./fleet.js";

const TOTAL = 2000;
const CONCURRENCY = 50;
const ROTATE_AFTER = 1000;
/** About 8 s alone; generous for a loaded CI machine running every suite at once. */
const LOAD_TIMEOUT_MS = 90_000;

/** The key rotated: deposito's own, or the shared one (deposito then signs with it). */
const KEYS = [
  { label: "deposito", secret: depositoSecret, rotate: ["--issuer", "deposito"] },
  { label: "shared", secret: SHARED_SECRET_NAME, rotate: [] },
] as const;
type Key = (typeof KEYS)[number];

interface Outcome {
  index: number;
  kid: string;
  /** Old-version token presented only after the verifier had seen a new-version one. */
  held: boolean;
  /** The verifier's cached deposito key version when the token reached it. */
  knownVersion: number | undefined;
  answer: WhoamiAnswer;
}

interface LoadResult {
  outcomes: Outcome[];
  rotated: Record<string, unknown>;
  verifierVersion: number | undefined;
  minterVersion: number | undefined;
}

describeDoubleOnly(
  "rotation under load (minter and verifier over HTTP)",
  "counts each service's Vault reads in the double's request log, drives the double's clock and writes the fleet's fixed secret paths",
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

    async function rotationUnderLoad(key: Key, rotationGraceSeconds: number): Promise<LoadResult> {
      const OLD_KID = `${key.label}.v1`;
      await operatorCli(target, ["init"], clock.now);
      if (key.label !== "shared") {
        await operatorCli(target, ["secrets", "generate", "--issuer", key.label], clock.now);
      }
      const minter = fleetProcess(target, "minter", { clock: clock.now });
      const verifier = fleetProcess(target, "verifier", { clock: clock.now, rotationGraceSeconds });
      const verifierKey = verifier.provider(key.label);
      expect(verifierKey.cacheTtlMs).toBe(300_000);

      // What the verifier knew when each token reached it (read synchronously, before the
      // verification starts: the key decision is made in that same turn).
      const known = new Map<string, number | undefined>();
      const observed: TokenVerifier = {
        verifyToken(token, options) {
          known.set(token, verifierKey.currentKey()?.version);
          return verifier.auth.verifyToken(token, options);
        },
      };
      const minterServer = await startMinter(minter);
      servers.push(minterServer);
      const verifierServer = await startVerifier(verifier, observed);
      servers.push(verifierServer);

      const outcomes: Outcome[] = [];
      let next = 0;
      let completed = 0;
      let rotationStarted = false;
      let rotated: Record<string, unknown> = {};
      let sawNewKid!: () => void;
      const verifierSawNewKid = new Promise<void>((resolve) => {
        sawNewKid = resolve;
      });

      const present = async (index: number, minted: Minted, held: boolean) => {
        const answer = await whoami(verifierServer.url, minted.token);
        outcomes.push({
          index,
          kid: minted.kid,
          held,
          knownVersion: known.get(minted.token),
          answer,
        });
        if (minted.kid !== OLD_KID) sawNewKid();
      };

      const request = async (index: number) => {
        const minted = await mintOver(minterServer.url);
        const held = minted.kid === OLD_KID && rotationStarted;
        if (held) await verifierSawNewKid;
        await present(index, minted, held);
      };

      const rotateMidway = async () => {
        // A client that fetched its token just before the rotation.
        const early = { index: next++, minted: await mintOver(minterServer.url) };
        expect(early.minted.kid).toBe(OLD_KID);
        rotationStarted = true;
        clock.advanceSeconds(5);
        rotated = await operatorCli(
          target,
          ["secrets", "rotate", ...key.rotate, "--yes"],
          clock.now,
        );
        await minter.provider(key.label).refresh();
        // Vault answers the verifier's forced read slowly, as under load: new-version tokens
        // keep arriving while it runs and must wait for it, not be refused.
        target.double?.setLatency(100, { method: "GET", path: `/v1/secret/data/${key.secret}` });
        // Two new-version requests at once (others race them): the verifier still has v1.
        await Promise.all([request(next++), request(next++)]);
        await verifierSawNewKid;
        target.double?.clearFaults();
        await present(early.index, early.minted, true);
      };

      const worker = async () => {
        while (next < TOTAL) {
          await request(next++);
          completed += 1;
          if (completed === ROTATE_AFTER) await rotateMidway();
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));

      return {
        outcomes,
        rotated,
        verifierVersion: verifierKey.currentKey()?.version,
        minterVersion: minter.provider(key.label).currentKey()?.version,
      };
    }

    /** Checks shared by both grace settings. */
    function expectCommon(key: Key, result: LoadResult) {
      const { outcomes } = result;
      const [OLD_KID, NEW_KID] = [`${key.label}.v1`, `${key.label}.v2`];
      expect(outcomes).toHaveLength(TOTAL);
      expect(new Set(outcomes.map((outcome) => outcome.index)).size).toBe(TOTAL);
      expect(result.rotated).toMatchObject({ name: key.secret, version: 2 });
      expect(new Set(outcomes.map((outcome) => outcome.kid))).toEqual(new Set([OLD_KID, NEW_KID]));
      expect(result.minterVersion).toBe(2);
      // The verifier learnt v2 although its 300 s cache never expired (the clock moved 5 s).
      expect(result.verifierVersion).toBe(2);

      const held = outcomes.filter((outcome) => outcome.held);
      expect(held.length).toBeGreaterThanOrEqual(1);
      expect(held.filter((outcome) => outcome.knownVersion !== 2)).toEqual([]);

      // New-version tokens are accepted at once, including those that reached the verifier
      // while it still had v1 cached: the newer kid made it read Vault immediately.
      const fresh = outcomes.filter((outcome) => outcome.kid === NEW_KID);
      expect(fresh.filter((outcome) => outcome.answer.status !== 200)).toEqual([]);
      // At least two reached it before it knew v2: one started the forced read, the others
      // (the clock stands still, so no second read is allowed) joined it.
      expect(fresh.filter((outcome) => outcome.knownVersion === 1).length).toBeGreaterThanOrEqual(
        2,
      );

      for (const outcome of outcomes.filter((item) => item.answer.status === 200)) {
        expect(outcome.answer.keyId).toBe(outcome.kid);
        expect(outcome.answer.issuer).toBe("deposito");
      }

      // One cold read and one forced read of the secret, not one per request; no older
      // version is ever read (the ring keeps the version it replaced).
      expect(secretReads(target, "verifier", key.secret)).toEqual({ latest: 2, versions: 0 });
      expect(secretReads(target, "minter", key.secret)).toEqual({ latest: 2, versions: 0 });
    }

    it.each(KEYS)(
      "$label key, with a rotation grace: no valid token is rejected, both versions served",
      async (key) => {
        const OLD_KID = `${key.label}.v1`;
        const result = await rotationUnderLoad(key, 3600);
        expectCommon(key, result);
        const rejected = result.outcomes.filter((outcome) => outcome.answer.status !== 200);
        expect(rejected).toEqual([]);
        // Old-version tokens the verifier checked after learning v2 passed within the grace.
        expect(
          result.outcomes.filter((o) => o.kid === OLD_KID && o.knownVersion === 2).length,
        ).toBeGreaterThanOrEqual(1);
      },
      LOAD_TIMEOUT_MS,
    );

    it.each(KEYS)(
      "$label key, without grace: old-version tokens fail once the verifier knows v2, new ones pass at once",
      async (key) => {
        const OLD_KID = `${key.label}.v1`;
        const result = await rotationUnderLoad(key, 0);
        expectCommon(key, result);
        const expected = (outcome: Outcome) =>
          outcome.kid === OLD_KID && outcome.knownVersion === 2
            ? { status: 401, code: "token_invalid" }
            : { status: 200, code: undefined };
        const unexpected = result.outcomes.filter((outcome) => {
          const want = expected(outcome);
          return outcome.answer.status !== want.status || outcome.answer.code !== want.code;
        });
        expect(unexpected).toEqual([]);

        const staleRejected = result.outcomes.filter((outcome) => outcome.answer.status === 401);
        expect(staleRejected.length).toBeGreaterThanOrEqual(1);
        for (const outcome of staleRejected) {
          expect(outcome.kid).toBe(OLD_KID);
          expect(outcome.answer.wwwAuthenticate).toMatch(/^Bearer error="invalid_token"/);
        }
        // Old-version tokens verified before the verifier learnt v2 were served normally.
        expect(
          result.outcomes.filter((o) => o.kid === OLD_KID && o.answer.status === 200).length,
        ).toBeGreaterThanOrEqual(ROTATE_AFTER);
      },
      LOAD_TIMEOUT_MS,
    );
  },
);
