/**
 * The production timer path (`realTimers`, unref'ed `setTimeout`), which every other Vault
 * test replaces with ManualTimers. The client renews a token with a very short lease on
 * the double's real clock; the test waits for the renewal's log line (an event), never for
 * a fixed time.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { LogFields, Logger } from "../../src/log.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { realSleep, realTimers } from "../../src/vault/timers.js";
import { DOUBLE_ROOT_TOKEN, describeDoubleOnly, testClientDefaults } from "./target.js";

const RENEW = "/v1/auth/token/renew-self";

/** A logger whose `next(pattern)` resolves with the first later entry matching it. */
function watchingLogger(): Logger & { next(pattern: RegExp): Promise<LogFields> } {
  const waiting: Array<{ pattern: RegExp; resolve: (fields: LogFields) => void }> = [];
  const at = (message: string, fields: LogFields = {}) => {
    for (const entry of waiting.filter((item) => item.pattern.test(message))) {
      waiting.splice(waiting.indexOf(entry), 1);
      entry.resolve(fields);
    }
  };
  return {
    debug: at,
    info: at,
    warn: at,
    error: at,
    next: (pattern) => new Promise((resolve) => waiting.push({ pattern, resolve })),
  };
}

/** How many ref'ed timers keep the process alive right now. */
const refedTimers = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;

describeDoubleOnly("renewal on real timers", "needs short AppRole leases on the double", () => {
  let vault: VaultDouble | undefined;
  let client: VaultClient | undefined;
  afterEach(async () => {
    await client?.close();
    await vault?.close();
  });

  it("renews an AppRole token through setTimeout before its lease runs out", async () => {
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
    const url = await vault.start();
    vault.setPolicy("svc", { "secret/data/gofr/config/*": ["read"] });
    const creds = vault.addAppRole("svc", { policies: ["svc"], tokenTtlSeconds: 5 });
    const logger = watchingLogger();
    client = new VaultClient({
      address: url,
      auth: { method: "approle", ...creds },
      ...testClientDefaults(logger),
      // Renew after 2% of the 5 s lease (~100 ms): quick, and well before it expires.
      renewal: { fraction: 0.02 },
    });
    const renewed = logger.next(/Renewed the Vault token/);
    const loggedInAt = Date.now();
    await client.login();
    // No timer option was given: only the real timer can make this happen.
    const fields = await renewed;
    expect(fields.lease_seconds).toBe(5);
    expect(client.stats.renewals).toBeGreaterThanOrEqual(1);
    expect(vault.countRequests({ path: RENEW, status: 200 })).toBeGreaterThanOrEqual(1);
    expect(Date.now() - loggedInAt).toBeLessThan(5000); // before the lease ran out
    expect(client.stats.logins).toBe(1);
  });
});

describe("realTimers", () => {
  it("runs the callback once, and its timer does not hold the process open", async () => {
    const before = refedTimers();
    let ran!: () => void;
    const done = new Promise<void>((resolve) => {
      ran = resolve;
    });
    realTimers.schedule(ran, 5);
    expect(refedTimers()).toBe(before); // unref'ed: background work only
    await done;
  });

  it("a cancelled callback never runs", async () => {
    const order: string[] = [];
    const cancelled = realTimers.schedule(() => {
      order.push("cancelled");
    }, 1);
    cancelled.cancel();
    // Timers fire in due order: by the time a later one runs, the cancelled one would have.
    await new Promise<void>((resolve) => {
      realTimers.schedule(() => {
        order.push("later");
        resolve();
      }, 20);
    });
    expect(order).toEqual(["later"]);
  });

  it("a callback that rejects is contained (no unhandled rejection)", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await new Promise<void>((resolve) => {
        realTimers.schedule(() => Promise.reject(new Error("renewal blew up")), 1);
        // A later timer: unhandled rejections of the first are reported before it runs.
        realTimers.schedule(() => {
          setImmediate(resolve);
        }, 20);
      });
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("realSleep waits for retries with a timer that keeps the caller's process alive", async () => {
    const before = refedTimers();
    const slept = realSleep(5);
    expect(refedTimers()).toBe(before + 1); // a caller is waiting on it
    await slept;
    await realSleep(0); // nothing to wait for
  });
});
