/**
 * One auth plane per backend for CLI tests that also run service stacks: the embedded store
 * (a temp file) or a Vault double with the compose stack's admin policy, the CLI run
 * in-process, services opened as services open them, and one manual clock (plus, on Vault,
 * manual timers for the services' marker polls) so that nothing sleeps.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import Database from "better-sqlite3";
import { runCli } from "../../src/cli/program.js";
import { type AuthEnabled, resolveAuthConfig } from "../../src/config/resolve.js";
import { silentLogger } from "../../src/log.js";
import { ManualClock } from "../../src/testing/clock.js";
import { ManualTimers, VaultDouble } from "../../src/testing/vault-double.js";
import { policyRules } from "../support/policy-rules.js";
import { cliHarness } from "./harness.js";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** One auth plane (store + CLI + service stacks) on one backend, with one manual clock. */
export interface Plane {
  clock: ManualClock;
  /** A CLI run; `ticking`: each clock reading moves the clock on 1 ms (orders its writes). */
  run(args: string[], extraEnv?: Record<string, string>, ticking?: boolean): Promise<Run>;
  /** A service stack on the same store, as services open it (its own caches). */
  service(extraEnv?: Record<string, string>, clockOffsetMs?: number): Promise<AuthEnabled>;
  /** Makes every later write of this token's record fail (a store fault). */
  failWritesOf(id: string): void;
  /**
   * The private halves of an EdDSA issuer's key versions as the store holds them (read
   * behind the CLI's back), for tests proving that no output contains one.
   */
  eddsaPrivateKeys(issuer: string): KeyObject[];
  /** Lets the propagation bound pass for `service` (Vault: its next marker poll). */
  settle(service: AuthEnabled): Promise<void>;
  cleanup(): Promise<void>;
}

async function runWith(
  env: NodeJS.ProcessEnv,
  clock: ManualClock,
  args: string[],
  ticking = false,
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    env,
    clock: ticking
      ? () => {
          clock.advance(1);
          return clock.now();
        }
      : clock.now,
    io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** What the Vault double's transit engine holds per key (its private state). */
interface TransitKeyState {
  versions: Map<number, { privateKey: KeyObject }>;
}

const services: AuthEnabled[] = [];
const planes: Plane[] = [];

/** Remembers `plane` for {@link closePlanes}. */
function kept(plane: Plane): Plane {
  planes.push(plane);
  return plane;
}

function serviceOn(env: NodeJS.ProcessEnv, clock: ManualClock, timers?: ManualTimers) {
  return async (extraEnv: Record<string, string> = {}, clockOffsetMs = 0) => {
    const plane = await resolveAuthConfig({
      envPrefix: "GOFR",
      env: { ...env, ...extraEnv },
      logger: silentLogger,
      clock: () => clock.now() + clockOffsetMs,
      singleMachineWarning: false,
      createStore: false,
      timers,
    });
    if (!plane.authEnabled) throw new Error("auth is off");
    services.push(plane);
    return plane;
  };
}

export function sqlitePlane(): Plane {
  const harness = cliHarness();
  const clock = new ManualClock();
  return kept({
    clock,
    run: (args, extraEnv = {}, ticking = false) =>
      runWith({ ...harness.env, ...extraEnv }, clock, args, ticking),
    service: serviceOn(harness.env, clock),
    failWritesOf(id) {
      // A store that refuses this one update, as a full disk or a lock would.
      const db = new Database(harness.env.GOFR_AUTH_STORE as string);
      db.exec(
        `CREATE TRIGGER fail_${id.replace(/-/g, "_")} BEFORE UPDATE ON tokens WHEN OLD.id = '${id}'
         BEGIN SELECT RAISE(ABORT, 'injected fault'); END`,
      );
      db.close();
    },
    eddsaPrivateKeys(issuer) {
      const db = new Database(harness.env.GOFR_AUTH_STORE as string, { readonly: true });
      const rows = db
        .prepare("SELECT private_key FROM eddsa_keys WHERE issuer = ? ORDER BY version")
        .all(issuer) as Array<{ private_key: Buffer }>;
      db.close();
      return rows.map((row) =>
        createPrivateKey({ key: row.private_key, format: "der", type: "pkcs8" }),
      );
    },
    settle: async () => {}, // the embedded store is re-checked on each request
    cleanup: async () => harness.cleanup(),
  });
}

export function vaultPlane(): Plane {
  const clock = new ManualClock();
  const vault = new VaultDouble({ clock: clock.now });
  const timers = new ManualTimers(clock); // the services' marker polls
  let env: NodeJS.ProcessEnv = {};
  const started = vault.start().then(() => {
    vault.mountTransit(); // as docker/vault-init.sh enables it, for EdDSA issuers' keys
    vault.setPolicy("gofr-admin", policyRules("docker/policies/gofr-admin.hcl"));
    env = {
      GOFR_VAULT_URL: vault.url,
      GOFR_VAULT_TOKEN: vault.createToken({ policies: ["gofr-admin"] }),
    };
  });
  return kept({
    clock,
    run: async (args, extraEnv = {}, ticking = false) => {
      await started;
      return runWith({ ...env, ...extraEnv }, clock, args, ticking);
    },
    service: async (extraEnv, offset) => {
      await started;
      return serviceOn(env, clock, timers)(extraEnv, offset);
    },
    failWritesOf(id) {
      // A policy refusing this record's path: 403 with Vault's multierror body
      // (docs/vault-contract.md row 25, hashicorp vault/request_handling.go).
      vault.failNext(100, 403, {
        body: { errors: ["1 error occurred:\n\t* permission denied\n\n"] },
        match: { method: "POST", path: `/v1/secret/data/gofr/auth/tokens/${id}` },
      });
    },
    eddsaPrivateKeys(issuer) {
      // The double keeps them in its private state and never answers with one.
      const { state } = vault as unknown as {
        state: { transit: Map<string, { get(name: string): TransitKeyState | undefined }> };
      };
      const key = state.transit.get("transit")?.get(`jwt-${issuer}`);
      return [...(key?.versions.values() ?? [])].map((version) => version.privateKey);
    },
    settle: (service) => timers.advance(service.settings.propagationSeconds * 1000),
    cleanup: () => vault.close(),
  });
}

export const BACKENDS = [
  { name: "embedded store", make: sqlitePlane },
  { name: "Vault", make: vaultPlane },
] as const;

/** Closes every service stack and plane made so far (use as `afterEach(closePlanes)`). */
export async function closePlanes(): Promise<void> {
  await Promise.all(services.splice(0).map((service) => service.close()));
  await Promise.all(planes.splice(0).map((plane) => plane.cleanup()));
}
