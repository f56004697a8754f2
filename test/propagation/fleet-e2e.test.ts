/**
 * Issue 16, the tried scenario end to end with real processes: three processes of the
 * reference web service on one Vault double and three on one SQLite file, each its own OS
 * process; the operator runs the built CLI (`secrets rotate --yes` with grace 0, `tokens
 * revoke`) in another. Every process must then refuse the old token: on SQLite with the
 * first request after the CLI returned, on Vault within the poll interval + 1 s of the
 * commit the double saw (polled with a deadline). The heavy fleet runs are in
 * `npm run bench fleet` (bench/fleet.mjs).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthEnabled, resolveAuthConfig } from "../../src/config/resolve.js";
import { silentLogger } from "../../src/log.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import {
  cleanEnv,
  gofrAuth,
  type ServiceProcess,
  startWebService,
} from "../support/service-process.js";

const PROCESSES = 3;
/** `<P>_PROPAGATION_SECONDS` accepts fractions (src/config/env.ts): a quick test. */
const INTERVAL_SECONDS = 0.5;
const BOUND_MS = INTERVAL_SECONDS * 1000 + 1000;
/** How long a probe keeps trying past the bound, so a late refusal shows its real time. */
const PROBE_SLACK_MS = 3000;
const PROBE_GAP_MS = 20;
const ALL_OK = Array(PROCESSES).fill(200);

interface Fleet {
  services: ServiceProcess[];
  /** The operator's environment (the CLI's). */
  env: NodeJS.ProcessEnv;
  /** The library on the same store, as the CLI opens it: mints the tokens. */
  plane: AuthEnabled;
}

let double: VaultDouble;
let dir: string;
let vault: Fleet;
let sqlite: Fleet;

async function openPlane(env: NodeJS.ProcessEnv): Promise<AuthEnabled> {
  const plane = await resolveAuthConfig({
    envPrefix: "GOFR",
    env: { ...env, GOFR_PROPAGATION_SECONDS: "0" },
    logger: silentLogger,
    checkSecret: false,
    createStore: false,
    singleMachineWarning: false,
  });
  if (!plane.authEnabled) throw new Error("auth is off");
  return plane;
}

/** `gofr-auth init`, then `PROCESSES` web services on the store, started at once. */
async function startFleet(
  label: string,
  env: NodeJS.ProcessEnv,
  serviceVars: Record<string, string>,
): Promise<Fleet> {
  const init = await gofrAuth(["init", "--json"], env);
  expect(init.code, init.stderr).toBe(0);
  const services = await Promise.all(
    Array.from({ length: PROCESSES }, (_, i) =>
      startWebService(`${label}-${i}`, { ...env, ...serviceVars }),
    ),
  );
  return { services, env, plane: await openPlane(env) };
}

/** A token for group admin, signed with the store's current key. */
async function mint(fleet: Fleet) {
  await fleet.plane.secretProvider.refresh();
  return fleet.plane.auth.createToken({ groups: ["admin"] });
}

async function whoami(url: string, token: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, code: body.code };
}

/** Each process's answer to one request with `token`, all sent at once. */
function everyProcess(fleet: Fleet, token: string) {
  return Promise.all(fleet.services.map((service) => whoami(service.url, token)));
}

/**
 * Probes one process with `token` until it answers 401 or `deadline` (epoch ms) passes;
 * resolves with the send time of the refused request and the refusal's code.
 */
async function firstRefusal(url: string, token: string, deadline: number) {
  while (Date.now() < deadline) {
    const sentAt = Date.now();
    const answer = await whoami(url, token);
    if (answer.status === 401) return { sentAt, code: answer.code };
    expect(answer.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
  }
  throw new Error(`${url} still accepted the token ${PROBE_SLACK_MS} ms after the bound`);
}

/** When the double received the operator's write to `path` (at or after `since`). */
function commitTime(path: string, since: number): number {
  const write = double.requests.find(
    (entry) =>
      entry.time >= since &&
      (entry.method === "POST" || entry.method === "PUT") &&
      entry.path === `/v1/secret/data/${path}`,
  );
  if (!write) throw new Error(`no write to ${path} reached the double`);
  return write.time;
}

/** Runs the CLI; then, per process, how long after the commit the token was first refused. */
async function refusalTimes(args: string[], path: string, token: string) {
  const since = Date.now();
  const run = await gofrAuth(args, vault.env);
  expect(run.code, run.stderr).toBe(0);
  const commit = commitTime(path, since);
  const refusals = await Promise.all(
    vault.services.map((service) =>
      firstRefusal(service.url, token, commit + BOUND_MS + PROBE_SLACK_MS),
    ),
  );
  return refusals.map(({ sentAt, code }) => ({ afterCommitMs: sentAt - commit, code }));
}

beforeAll(async () => {
  double = new VaultDouble();
  const url = await double.start();
  dir = await mkdtemp(join(tmpdir(), "gofr-fleet-e2e-"));
  [vault, sqlite] = await Promise.all([
    startFleet("vault", cleanEnv({ GOFR_VAULT_URL: url, GOFR_VAULT_TOKEN: double.rootToken }), {
      GOFR_PROPAGATION_SECONDS: String(INTERVAL_SECONDS),
    }),
    startFleet("sqlite", cleanEnv({ GOFR_AUTH_STORE: join(dir, "auth.db") }), {}),
  ]);
}, 60_000);

afterAll(async () => {
  const fleets = [vault, sqlite].filter(Boolean);
  await Promise.all(fleets.flatMap((fleet) => fleet.services.map((service) => service.stop())));
  for (const fleet of fleets) await fleet.plane.close();
  await double?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe(`${PROCESSES} web-service processes on one Vault double (PROPAGATION_SECONDS=${INTERVAL_SECONDS})`, () => {
  it("after `secrets rotate --yes` (grace 0) every process refuses an old-key token within the interval + 1 s, and accepts a new-key one", async () => {
    const old = await mint(vault);
    // Accepted everywhere first: each process holds the key, so only the change can refuse it.
    expect((await everyProcess(vault, old.token)).map((a) => a.status)).toEqual(ALL_OK);

    const refusals = await refusalTimes(
      ["secrets", "rotate", "--yes"],
      SHARED_SECRET_NAME,
      old.token,
    );
    for (const refusal of refusals) {
      expect(refusal.code).toBe("token_invalid");
      expect(refusal.afterCommitMs).toBeLessThanOrEqual(BOUND_MS);
    }

    const fresh = await mint(vault);
    expect(fresh.kid).not.toBe(old.kid);
    expect((await everyProcess(vault, fresh.token)).map((a) => a.status)).toEqual(ALL_OK);
  }, 20_000);

  it("after `tokens revoke` every process refuses the revoked token within the interval + 1 s, and still accepts another", async () => {
    const revoked = await mint(vault);
    const kept = await mint(vault);
    // Both records are now cached in every process (300 s with propagation on).
    for (const token of [revoked.token, kept.token]) {
      expect((await everyProcess(vault, token)).map((a) => a.status)).toEqual(ALL_OK);
    }

    const refusals = await refusalTimes(
      ["tokens", "revoke", revoked.record.id],
      `gofr/auth/tokens/${revoked.record.id}`,
      revoked.token,
    );
    for (const refusal of refusals) {
      expect(refusal.code).toBe("token_revoked");
      expect(refusal.afterCommitMs).toBeLessThanOrEqual(BOUND_MS);
    }
    expect((await everyProcess(vault, kept.token)).map((a) => a.status)).toEqual(ALL_OK);
  }, 20_000);
});

describe(`${PROCESSES} web-service processes on one SQLite file`, () => {
  it("after `secrets rotate --yes` (grace 0) returns, the next request to every process with an old-key token is refused, and a new-key token is accepted", async () => {
    const old = await mint(sqlite);
    expect((await everyProcess(sqlite, old.token)).map((a) => a.status)).toEqual(ALL_OK);

    const run = await gofrAuth(["secrets", "rotate", "--yes"], sqlite.env);
    expect(run.code, run.stderr).toBe(0);
    expect(await everyProcess(sqlite, old.token)).toEqual(
      Array(PROCESSES).fill({ status: 401, code: "token_invalid" }),
    );

    const fresh = await mint(sqlite);
    expect(fresh.kid).not.toBe(old.kid);
    expect((await everyProcess(sqlite, fresh.token)).map((a) => a.status)).toEqual(ALL_OK);
  }, 20_000);

  it("after `tokens revoke` returns, the next request to every process with the revoked token is refused, and another is accepted", async () => {
    const revoked = await mint(sqlite);
    const kept = await mint(sqlite);
    for (const token of [revoked.token, kept.token]) {
      expect((await everyProcess(sqlite, token)).map((a) => a.status)).toEqual(ALL_OK);
    }

    const run = await gofrAuth(["tokens", "revoke", revoked.record.id], sqlite.env);
    expect(run.code, run.stderr).toBe(0);
    expect(await everyProcess(sqlite, revoked.token)).toEqual(
      Array(PROCESSES).fill({ status: 401, code: "token_revoked" }),
    );
    expect((await everyProcess(sqlite, kept.token)).map((a) => a.status)).toEqual(ALL_OK);
  }, 20_000);
});
