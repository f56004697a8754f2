/**
 * Injected failures, acting like a broken network or proxy in front of Vault: a faulted
 * request never reaches the engine (nothing is read or written), except `lose-answer`,
 * where Vault applies the request and the connection drops before the answer arrives
 * (what a client sees when a write commits and the network fails on the way back).
 */

/** Which requests a fault applies to; all when omitted. */
export interface FaultMatch {
  /** HTTP method, e.g. `GET`. */
  method?: string;
  /** A `/v1/...` path prefix, or a pattern tested against the path. */
  path?: string | RegExp;
}

export type FaultKind = "fail" | "drop" | "malformed" | "lose-answer";

export interface Fault {
  kind: FaultKind;
  remaining: number;
  status: number;
  body: unknown;
  retryAfterSeconds: number | undefined;
  match: FaultMatch | undefined;
}

export function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method) return false;
  if (match.path === undefined) return true;
  return typeof match.path === "string" ? path.startsWith(match.path) : match.path.test(path);
}

export class FaultPlan {
  private queue: Fault[] = [];
  private latency: { ms: number; match: FaultMatch | undefined } = { ms: 0, match: undefined };

  add(fault: Fault): void {
    if (fault.remaining > 0) this.queue.push(fault);
  }

  setLatency(ms: number, match: FaultMatch | undefined): void {
    this.latency = { ms: Math.max(0, ms), match };
  }

  latencyFor(method: string, path: string): number {
    return matches(this.latency.match, method, path) ? this.latency.ms : 0;
  }

  /** The first pending fault for this request, consumed by one. */
  take(method: string, path: string): Fault | undefined {
    const fault = this.queue.find(
      (item) => item.remaining > 0 && matches(item.match, method, path),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.queue = this.queue.filter((item) => item.remaining > 0);
    return fault;
  }

  get pending(): number {
    return this.queue.reduce((sum, item) => sum + item.remaining, 0);
  }

  clear(): void {
    this.queue = [];
    this.latency = { ms: 0, match: undefined };
  }
}
