import type { Clock } from "../clock.js";

/** A clock tests move by hand, so nothing ever sleeps to wait for time. */
export class ManualClock {
  constructor(private nowMs = Date.UTC(2026, 0, 15, 10, 30, 0)) {}

  /** Use as the `clock` option: `{ clock: manual.now }`. */
  readonly now: Clock = () => this.nowMs;

  advance(ms: number): void {
    this.nowMs += ms;
  }

  advanceSeconds(seconds: number): void {
    this.nowMs += seconds * 1000;
  }

  set(epochMs: number): void {
    this.nowMs = epochMs;
  }
}
