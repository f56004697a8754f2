import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { AuthEvent } from "../../src/adapters/shared/options.js";
import {
  AUTH_METRICS,
  type AuthMetric,
  type AuthMetricDefinition,
  type AuthMetricSources,
  authMetricSamples,
  VerifyOutcomes,
} from "../../src/metrics.js";

export interface WebMetricsOptions {
  /** False with `--no-auth`: no library metrics then, only `gofr_auth_enabled 0`. */
  authEnabled: boolean;
  /** The library's stats to publish (key ring, store, change poller); verify outcomes are added. */
  sources?: Omit<AuthMetricSources, "verify">;
  /** Add prom-client's default process metrics (CPU, memory, event loop). Default false. */
  processMetrics?: boolean;
}

/**
 * The web service's metrics in a prom-client {@link Registry}. The library's families
 * (docs/metrics.md) are collectors that copy the library's own counters at scrape time:
 * nothing is counted here twice, and a scrape reads no store. Verification outcomes come
 * from the adapter's `audit` hook; HTTP requests are this service's own counter.
 */
export class WebMetrics {
  readonly registry = new Registry();
  readonly outcomes = new VerifyOutcomes();
  private readonly requests: Counter<"route" | "status">;
  private readonly sources: AuthMetricSources | undefined;
  /** The library's families for the scrape in progress: one snapshot for every collector. */
  private snapshot: Map<string, AuthMetric> | undefined;

  constructor(options: WebMetricsOptions) {
    new Gauge({
      name: "gofr_auth_enabled",
      help: "1 when requests are authenticated, 0 with --no-auth.",
      registers: [this.registry],
    }).set(options.authEnabled ? 1 : 0);
    this.requests = new Counter({
      name: "gofr_http_requests_total",
      help: "Finished HTTP requests by route pattern and status.",
      labelNames: ["route", "status"],
      registers: [this.registry],
    });
    if (options.authEnabled) {
      this.sources = { ...options.sources, verify: this.outcomes };
      // The families these sources provide (fixed by which sources exist).
      const present = new Set(authMetricSamples(this.sources).map((metric) => metric.name));
      for (const definition of Object.values(AUTH_METRICS)) {
        if (present.has(definition.name)) this.collector(definition);
      }
    }
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Use as the adapter's `audit` option. */
  readonly audit = (event: AuthEvent): void => this.outcomes.audit(event);

  /** One finished HTTP request; `route` is the route pattern (bounded label values). */
  request(route: string, status: number): void {
    this.requests.inc({ route, status: String(status) });
  }

  /** The `Content-Type` of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format. */
  async render(): Promise<string> {
    if (this.sources) this.snapshot = byName(authMetricSamples(this.sources));
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = undefined;
    }
  }

  /** A prom-client metric whose `collect()` sets the library family's current samples. */
  private collector(definition: AuthMetricDefinition): void {
    const current = () => this.current(definition.name);
    const config = {
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames,
      registers: [this.registry],
    };
    if (definition.type === "counter") {
      new Counter({
        ...config,
        collect() {
          clear(this, definition);
          for (const { labels, value } of current()) this.inc(labels, value);
        },
      });
    } else {
      new Gauge({
        ...config,
        collect() {
          clear(this, definition);
          for (const { labels, value } of current()) this.set(labels, value);
        },
      });
    }
  }

  private current(name: string): AuthMetric["samples"] {
    // Outside `render` (prom-client's JSON output, say), a fresh read.
    const snapshot = this.snapshot ?? byName(authMetricSamples(this.sources ?? {}));
    return snapshot.get(name)?.samples ?? [];
  }
}

/**
 * Drops every series before the current ones are set. prom-client keeps a 0 for an
 * unlabelled metric after `reset()`: removed too, so a value not known yet is absent.
 */
function clear(metric: Counter | Gauge, definition: AuthMetricDefinition): void {
  metric.reset();
  if (definition.labelNames.length === 0) metric.remove({});
}

function byName(metrics: readonly AuthMetric[]): Map<string, AuthMetric> {
  return new Map(metrics.map((metric) => [metric.name, metric]));
}
