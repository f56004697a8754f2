/**
 * Time is injected everywhere so tests move it instead of sleeping. A clock returns
 * milliseconds since the Unix epoch (UTC); no local-time conversion is ever involved.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** Whole seconds since the epoch, as JWT `iat`/`nbf`/`exp` claims want them. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock() / 1000);
}
