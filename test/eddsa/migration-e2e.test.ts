/**
 * Issue 18, the migration runbook (docs/operations.md, "Migrating an issuer from HS256 to
 * EdDSA") end to end: issuer deposito moves from HS256 to EdDSA, back, and forward again,
 * while a load loop (load-loop.ts) sends a steady stream of requests to three reference web
 * services behind a load balancer, and no request fails. Each service is the web service's
 * own `main()` serving real HTTP on 127.0.0.1, configured only by its environment; they run
 * in this process (not as child processes) so that one injected clock ends the HS256
 * tokens' lifetime without waiting, and because a real process start costs seconds on a
 * loaded machine. Restarting a service means a new `main()` with the new environment. The
 * operator's commands are the built CLI in its own process (`keys create`, `tokens
 * inspect`). On the Vault double every identity has the Vault policy the runbook gives it;
 * the same steps run on one SQLite file. No sleeps: the test waits for rounds of load.
 *
 * Steps: (1) everything on HS256; (2) the operator creates the key; (3) rolling restart of
 * the services with `deposito=HS256,EdDSA`; (4) the minter mints EdDSA (`EdDSA,HS256`);
 * (5) rollback: the minter on `HS256,EdDSA` again; (6a) forward again; (6b) once the HS256
 * tokens' lifetime is over, rolling restart with `deposito=EdDSA`: an HS256 token deposito's
 * key signed is then refused everywhere.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LoadLoop, type StepCounts } from "./load-loop.js";
import {
  type Alg,
  Fleet,
  type MigrationStore,
  type Minter,
  operatorCli,
  sqliteStore,
  startMinter,
  vaultStore,
  type WebService,
  whoami,
  withAlgorithms,
} from "./migration-fleet.js";

const SERVICES = 3;
/** Every token's lifetime (`expiresInSeconds`). */
const LIFETIME_SECONDS = 600;
/** `AuthService`'s clock tolerance: a token is accepted until `exp` + 30 s. */
const TOLERANCE_SECONDS = 30;
/** Rounds of load each step gets after its change, at least. */
const MIN_ROUNDS = 20;
/** Rounds a restarted service takes load for before the next one restarts. */
const SETTLE_ROUNDS = 3;

const STEPS = {
  hs256: "1 all HS256",
  key: "2 key created",
  accept: "3 services HS256,EdDSA (rolling)",
  mint: "4 minter EdDSA,HS256",
  rollback: "5 rollback: minter HS256,EdDSA",
  forward: "6a forward: minter EdDSA,HS256",
  only: "6b HS256 expired; services EdDSA (rolling)",
} as const;

/** What each step's minter mints, and which algorithms' tokens the clients still send. */
const EXPECTED: Record<string, { mints: Alg; sends: Alg[] }> = {
  [STEPS.hs256]: { mints: "HS256", sends: ["HS256"] },
  [STEPS.key]: { mints: "HS256", sends: ["HS256"] },
  [STEPS.accept]: { mints: "HS256", sends: ["HS256"] },
  [STEPS.mint]: { mints: "EdDSA", sends: ["HS256", "EdDSA"] },
  [STEPS.rollback]: { mints: "HS256", sends: ["HS256", "EdDSA"] },
  [STEPS.forward]: { mints: "EdDSA", sends: ["HS256", "EdDSA"] },
  [STEPS.only]: { mints: "EdDSA", sends: ["EdDSA"] },
};

/** `gofr-auth tokens inspect --token-file` with `env` (the token in a 0600 file). */
async function inspect(token: string, env: Record<string, string>): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), "gofr-inspect-"));
  try {
    const file = join(dir, "token.txt");
    await writeFile(file, token, { mode: 0o600 });
    return await operatorCli(["tokens", "inspect", "--token-file", file], env);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `GET /.well-known/jwks.json`: the status and the key ids published. */
async function jwksOf(service: WebService): Promise<{ status: number; kids?: string[] }> {
  const response = await fetch(`${service.url}/.well-known/jwks.json`);
  if (response.status !== 200) return { status: response.status };
  const body = (await response.json()) as { keys: { kid: string }[] };
  return { status: 200, kids: body.keys.map((key) => key.kid) };
}

function report(kind: string, steps: Map<string, StepCounts>): void {
  const rows = [...steps].map(([step, c]) => ({
    step,
    rounds: c.rounds,
    requests: c.requests,
    failed: c.failed,
    "accepted HS256": c.accepted.HS256,
    "accepted EdDSA": c.accepted.EdDSA,
    "minted HS256": c.minted.HS256,
    "minted EdDSA": c.minted.EdDSA,
  }));
  console.log(`deposito HS256 -> EdDSA on ${kind}`);
  console.table(rows);
}

/**
 * Every step ran at least {@link MIN_ROUNDS} rounds without one failed request or mint,
 * minted only its algorithm, and sent (and had accepted) tokens of the algorithms expected.
 */
function expectEveryStepClean(steps: Map<string, StepCounts>): void {
  expect([...steps.keys()]).toEqual(Object.values(STEPS));
  for (const [step, counts] of steps) {
    const { mints, sends } = EXPECTED[step] as (typeof EXPECTED)[string];
    expect({ step, failures: counts.failures, failed: counts.failed }).toEqual({
      step,
      failures: [],
      failed: 0,
    });
    expect(counts.rounds, step).toBeGreaterThanOrEqual(MIN_ROUNDS);
    for (const alg of ["HS256", "EdDSA"] as const) {
      expect(counts.minted[alg] > 0, `${step}: minted ${alg}`).toBe(alg === mints);
      expect(counts.accepted[alg] > 0, `${step}: sent and accepted ${alg}`).toBe(
        sends.includes(alg),
      );
    }
  }
}

describe.each([
  ["the Vault double", vaultStore],
  ["one SQLite file", sqliteStore],
])("issuer deposito on %s", (kind, open: () => Promise<MigrationStore>) => {
  let store: MigrationStore | undefined;
  let fleet: Fleet | undefined;
  let loop: LoadLoop | undefined;
  const minters = new Set<Minter>();

  afterEach(async () => {
    await loop?.stop();
    await fleet?.stop();
    for (const minter of minters) await minter.close();
    minters.clear();
    await store?.close();
  });

  it("moves HS256 -> EdDSA, back and forward again under steady load with no failed request, then refuses its HS256 tokens", async () => {
    store = await open();
    const { clock } = store;
    const current = store;
    const serviceEnv = (list?: string) => withAlgorithms(current.serviceEnv, list);
    const minter = async (list?: string) => {
      const started = await startMinter(withAlgorithms(current.minterEnv, list), clock);
      minters.add(started);
      return started;
    };
    /** Blue/green: the new minter starts while the old one mints, and takes over between two rounds. */
    const switchMinter = async (step: string, list: string) => {
      const next = await minter(list);
      const running = loop as LoadLoop;
      let old: Minter | undefined;
      await running.enter(step, () => {
        old = running.minter;
        running.minter = next;
      });
      await old?.close();
      minters.delete(old as Minter);
    };
    const settle = () => (loop as LoadLoop).rounds(SETTLE_ROUNDS);

    // (1) Everything on HS256: deposito signs with its own secret (kid deposito.v1).
    fleet = new Fleet(clock);
    const [first] = await fleet.start(SERVICES, serviceEnv());
    loop = new LoadLoop(fleet, clock, await minter(), STEPS.hs256, LIFETIME_SECONDS);
    loop.start();
    await loop.rounds(MIN_ROUNDS);
    expect(await jwksOf(first as WebService)).toEqual({ status: 404 });

    // (2) The operator creates deposito's key with the CLI; nothing reads it yet.
    await loop.enter(STEPS.key);
    await store.enableTransit();
    expect(
      await operatorCli(["keys", "create", "--issuer", "deposito"], store.operatorEnv),
    ).toMatchObject({ key: "jwt-deposito", version: 1, status: "signs" });
    await loop.rounds(MIN_ROUNDS);

    // (3) Rolling restart: every service accepts both, the minter still mints HS256.
    await loop.enter(STEPS.accept);
    const accepting = await fleet.rollingRestart(serviceEnv("HS256,EdDSA"), settle);
    await loop.rounds(MIN_ROUNDS);
    for (const service of accepting) {
      expect(await jwksOf(service)).toEqual({ status: 200, kids: ["deposito.v1"] });
    }

    // (4) The minter may sign now, and mints EdDSA; its HS256 tokens are still in use.
    store.allowMinterToSign();
    await switchMinter(STEPS.mint, "EdDSA,HS256");
    await loop.rounds(MIN_ROUNDS);
    // The runbook's check: `tokens inspect`, judged with the services' algorithm list.
    const minted = await loop.minter.auth.createToken({ groups: ["public"] });
    const inspected = await inspect(minted.token, {
      ...store.operatorEnv,
      GOFR_ISSUER_ALGORITHMS: "deposito=HS256,EdDSA",
    });
    expect(inspected).toMatchObject({
      header: { alg: "EdDSA", kid: "deposito.v1" },
      validity: { valid: true },
    });

    // (5) Rollback: the minter mints HS256 again; its EdDSA tokens are still in use.
    await switchMinter(STEPS.rollback, "HS256,EdDSA");
    await loop.rounds(MIN_ROUNDS);

    // (6a) Forward again.
    await switchMinter(STEPS.forward, "EdDSA,HS256");
    await loop.rounds(MIN_ROUNDS);

    // (6b) The HS256 tokens' lifetime (and the clock tolerance) passes; clients drop them.
    await loop.enter(STEPS.only, () =>
      clock.advanceSeconds(LIFETIME_SECONDS + TOLERANCE_SECONDS + 1),
    );
    await loop.rounds(1);
    expect(loop.heldAlgorithms()).toEqual(new Set(["EdDSA"]));
    // A replica someone forgot on the rollback configuration mints one more HS256 token:
    // accepted while the services still list HS256 ...
    const forgotten = await minter("HS256,EdDSA");
    const stale = await forgotten.auth.createToken({
      groups: ["public"],
      expiresInSeconds: LIFETIME_SECONDS,
    });
    await forgotten.close();
    minters.delete(forgotten);
    expect(stale.kid).toBe("deposito.v1");
    const before = await Promise.all(
      fleet.inRotation().map((service) => whoami(service, stale.token)),
    );
    expect(before.map((answer) => answer.status)).toEqual(Array(SERVICES).fill(200));
    const only = await fleet.rollingRestart(serviceEnv("EdDSA"), settle);
    await switchMinter(STEPS.only, "EdDSA");
    await loop.rounds(MIN_ROUNDS);
    await loop.stop();
    report(kind, loop.steps);

    // ... and refused by every service once deposito is EdDSA only (the deliberate refusal).
    const after = await Promise.all(only.map((service) => whoami(service, stale.token)));
    expect(after).toEqual(Array(SERVICES).fill({ status: 401, code: "token_invalid" }));
    for (const service of only) {
      const refused = service.log.filter((entry) => entry.message === "Request refused");
      expect(refused.map((entry) => String(entry.fields.error))).toEqual([
        expect.stringContaining("Algorithm HS256 is not allowed for 'deposito' tokens"),
      ]);
    }

    expectEveryStepClean(loop.steps);
    // Every restarted service took load before the next one went down.
    for (const service of [...accepting, ...only])
      expect(service.answered, service.name).toBeGreaterThan(0);
  }, 180_000);
});
