import type { AuthEvent } from "../../src/adapters/shared/options.js";
import type { SecretProviderStats } from "../../src/secrets/provider.js";

/**
 * The web service's counters, rendered as Prometheus text. Verification outcomes come
 * from the adapter's `audit` hook; secret reads and rotations from the provider's own
 * `stats`, read at scrape time so nothing is double-counted.
 */
export class WebMetrics {
  private readonly verifications = new Map<string, number>();
  private readonly requests = new Map<string, number>();

  /** Use as the adapter's `audit` option. */
  readonly audit = (event: AuthEvent): void => {
    const outcome = event.outcome === "denied" ? event.code : event.outcome;
    this.verifications.set(outcome, (this.verifications.get(outcome) ?? 0) + 1);
  };

  /** One finished HTTP request; `route` is the route pattern (bounded label values). */
  request(route: string, status: number): void {
    const key = `${route}\u0000${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  render(state: { authEnabled: boolean; secret?: SecretProviderStats }): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: Array<[string, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric("gofr_auth_enabled", "gauge", "1 when requests are authenticated, 0 with --no-auth.", [
      ["", state.authEnabled ? 1 : 0],
    ]);
    metric(
      "gofr_auth_verifications_total",
      "counter",
      "Guarded requests by outcome: allowed, anonymous, or the refusal code.",
      [...this.verifications].sort().map(([outcome, n]) => [`{outcome="${label(outcome)}"}`, n]),
    );
    if (state.secret) {
      const s = state.secret;
      metric(
        "gofr_auth_secret_reads_total",
        "counter",
        "Reads of the signing secret from its store.",
        [["", s.reads]],
      );
      metric(
        "gofr_auth_secret_read_failures_total",
        "counter",
        "Failed reads of the signing secret.",
        [["", s.failures]],
      );
      metric(
        "gofr_auth_secret_refresh_failures_total",
        "counter",
        "Failed background refreshes (the cached secret stayed in use).",
        [["", s.refreshFailures]],
      );
      metric(
        "gofr_auth_secret_rotations_total",
        "counter",
        "Signing secret changes seen by this process.",
        [["", s.rotations]],
      );
    }
    metric(
      "gofr_http_requests_total",
      "counter",
      "Finished HTTP requests by route pattern and status.",
      [...this.requests].sort().map(([key, n]) => {
        const [route, status] = key.split("\u0000");
        return [`{route="${label(route ?? "")}",status="${status}"}`, n];
      }),
    );
    return `${lines.join("\n")}\n`;
  }
}

/** Prometheus label-value escaping: backslash, quote, newline. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
