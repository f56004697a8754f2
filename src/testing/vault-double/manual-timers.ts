/**
 * Timers for the Vault client's `timers` option that run only when a test moves a
 * {@link ManualClock}: token renewal can be tested over hours without sleeping.
 */
import type { TimerHandle, VaultTimers } from "../../vault/timers.js";
import type { ManualClock } from "../clock.js";

interface Task {
  id: number;
  dueAt: number;
  callback: () => void | Promise<void>;
}

export class ManualTimers implements VaultTimers {
  private tasks: Task[] = [];
  private nextId = 1;

  constructor(private readonly clock: ManualClock) {}

  schedule(callback: () => void | Promise<void>, delayMs: number): TimerHandle {
    const task = { id: this.nextId++, dueAt: this.clock.now() + Math.max(0, delayMs), callback };
    this.tasks.push(task);
    return {
      cancel: () => {
        this.tasks = this.tasks.filter((item) => item.id !== task.id);
      },
    };
  }

  /** Delays (ms from now) of the pending callbacks, soonest first. */
  get pending(): number[] {
    const now = this.clock.now();
    return this.tasks.map((task) => task.dueAt - now).sort((a, b) => a - b);
  }

  /**
   * Moves the clock forward by `ms`, running every callback that falls due on the way (at
   * its due time, in order, awaiting each, including ones scheduled meanwhile).
   */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    for (;;) {
      const next = this.soonest();
      if (!next || next.dueAt > target) break;
      await this.run(next);
    }
    this.clock.set(target);
  }

  /** Runs the soonest callback, moving the clock to its due time. False when none is pending. */
  async runNext(): Promise<boolean> {
    const next = this.soonest();
    if (!next) return false;
    await this.run(next);
    return true;
  }

  private soonest(): Task | undefined {
    return [...this.tasks].sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)[0];
  }

  private async run(task: Task): Promise<void> {
    this.tasks = this.tasks.filter((item) => item.id !== task.id);
    if (task.dueAt > this.clock.now()) this.clock.set(task.dueAt);
    await task.callback();
  }
}
