/**
 * A steady stream of requests for the migration test: round after round, the current
 * minter mints one token (the clients keep every token until its `exp`), and every service
 * in rotation gets up to three requests: with the new token, with the oldest one still held,
 * and with the newest one of the other algorithm (so tokens minted before a switch keep
 * being used after it). Counts go to the step the round started in. The test changes a
 * step, swaps the minter or moves the clock only between two rounds (`between`), when no
 * request is in flight, so that each request belongs to exactly one step; restarts run
 * concurrently with the rounds.
 */
import type { ManualClock } from "../../src/testing/clock.js";
import type { Alg, Answer, Fleet, Minter, WebService } from "./migration-fleet.js";
import { whoami } from "./migration-fleet.js";

export interface StepCounts {
  rounds: number;
  /** HTTP requests sent to the services. */
  requests: number;
  /** Requests not answered 200, and mints that failed. */
  failed: number;
  /** Requests answered 200, by the algorithm of the token sent. */
  accepted: Record<Alg, number>;
  /** Tokens minted, by algorithm. */
  minted: Record<Alg, number>;
  /** The first failures: where and why (never a token). */
  failures: string[];
}

interface HeldToken {
  token: string;
  alg: Alg;
  kid: string;
  /** Seconds since the epoch. */
  exp: number;
}

const emptyCounts = (): StepCounts => ({
  rounds: 0,
  requests: 0,
  failed: 0,
  accepted: { HS256: 0, EdDSA: 0 },
  minted: { HS256: 0, EdDSA: 0 },
  failures: [],
});

/** The `alg` of a token's header (the load loop's own bookkeeping, not a check). */
function headerOf(token: string): { alg: Alg; kid: string } {
  return JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString("utf8"));
}

export class LoadLoop {
  /** Counts by step name, in the order the steps were entered. */
  readonly steps = new Map<string, StepCounts>();
  /** deposito's minter now; replace it only inside {@link between}. */
  minter: Minter;
  private current: StepCounts;
  private pool: HeldToken[] = [];
  private pending: { run: () => void | Promise<void>; settle: (error?: unknown) => void }[] = [];
  private roundWaiters: { round: number; resolve: () => void }[] = [];
  private roundsDone = 0;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly fleet: Fleet,
    private readonly clock: ManualClock,
    minter: Minter,
    step: string,
    private readonly lifetimeSeconds: number,
  ) {
    this.minter = minter;
    this.current = this.counts(step);
  }

  start(): void {
    this.running = this.run();
  }

  /** Runs `action` between two rounds; resolves once it ran. */
  between(action: () => void | Promise<void>): Promise<void> {
    if (!this.running || this.stopped) return Promise.resolve().then(action);
    return new Promise((resolve, reject) => {
      this.pending.push({ run: action, settle: (error) => (error ? reject(error) : resolve()) });
    });
  }

  /** From the next round on, counts go to `step`; `action` runs first, between the rounds. */
  enter(step: string, action: () => void | Promise<void> = () => {}): Promise<void> {
    return this.between(async () => {
      await action();
      this.current = this.counts(step);
    });
  }

  /** Resolves once `n` more rounds have completed. */
  rounds(n: number): Promise<void> {
    return new Promise((resolve) =>
      this.roundWaiters.push({ round: this.roundsDone + n, resolve }),
    );
  }

  /** The algorithms of the tokens the clients still hold. */
  heldAlgorithms(): Set<Alg> {
    return new Set(this.pool.map((held) => held.alg));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** The step's counts (entering a step again goes on counting it). */
  private counts(step: string): StepCounts {
    const counts = this.steps.get(step) ?? emptyCounts();
    this.steps.set(step, counts);
    return counts;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.runPending();
      await this.round();
      this.roundsDone += 1;
      const due = this.roundWaiters.filter((waiter) => waiter.round <= this.roundsDone);
      this.roundWaiters = this.roundWaiters.filter((waiter) => waiter.round > this.roundsDone);
      for (const waiter of due) waiter.resolve();
    }
    await this.runPending();
  }

  /** The actions queued by {@link between}, in order, each settling its caller's promise. */
  private async runPending(): Promise<void> {
    for (const task of this.pending.splice(0)) {
      await Promise.resolve()
        .then(task.run)
        .then(() => task.settle(), task.settle);
    }
  }

  private async round(): Promise<void> {
    const counts = this.current;
    counts.rounds += 1;
    // A client drops a token at its exp (services accept it 30 s longer: clock tolerance).
    const now = this.clock.now() / 1000;
    this.pool = this.pool.filter((held) => held.exp > now);
    const fresh = await this.mint(counts);
    if (fresh) this.pool.push(fresh);
    const tokens = this.tokensToSend();
    // Snapshot and sends in one tick: a service taken out of rotation after this line has
    // every request of this round in its in-flight set already.
    const sends = this.fleet
      .inRotation()
      .flatMap((service) => tokens.map((held) => this.send(counts, service, held)));
    await Promise.all(sends);
  }

  /**
   * The newest token (just minted), the oldest one still held (a long-lived client), and the
   * newest of the other algorithm (a client that got its token just before the last switch).
   */
  private tokensToSend(): HeldToken[] {
    const newest = this.pool.at(-1);
    if (!newest) return [];
    const otherAlg = this.pool.findLast((held) => held.alg !== newest.alg);
    return [...new Set([newest, this.pool[0] as HeldToken, otherAlg])].filter(
      (held): held is HeldToken => held !== undefined,
    );
  }

  private async mint(counts: StepCounts): Promise<HeldToken | undefined> {
    try {
      const { token, claims } = await this.minter.auth.createToken({
        groups: ["public"],
        expiresInSeconds: this.lifetimeSeconds,
      });
      const { alg, kid } = headerOf(token);
      counts.minted[alg] += 1;
      return { token, alg, kid, exp: claims.exp };
    } catch (error) {
      this.fail(counts, `mint: ${(error as { code?: string }).code ?? String(error)}`);
      return undefined;
    }
  }

  private async send(counts: StepCounts, service: WebService, held: HeldToken): Promise<void> {
    counts.requests += 1;
    const answer: Answer = await whoami(service, held.token);
    if (answer.status === 200) counts.accepted[held.alg] += 1;
    else
      this.fail(
        counts,
        `${service.name}: ${answer.status} ${answer.code} (${held.alg} ${held.kid})`,
      );
  }

  private fail(counts: StepCounts, why: string): void {
    counts.failed += 1;
    if (counts.failures.length < 10) counts.failures.push(why);
  }
}
