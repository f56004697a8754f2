/**
 * The one store a fleet shares: the Vault double (in this process, over HTTP on 127.0.0.1,
 * each service behind its own counting proxy) or one SQLite file. Each is initialised with
 * the operator CLI (`gofr-auth init`), and the bench keeps its own auth plane on it (the
 * library, as the CLI opens it) to mint client tokens.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, cli, startFleet, stopFleet } from "./fleet-procs.mjs";
import { startCountingProxy } from "./fleet-proxy.mjs";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

async function openPlane(lib, env) {
  const plane = await lib.resolveAuthConfig({
    envPrefix: "GOFR",
    env,
    logger: lib.silentLogger,
    checkSecret: false,
    createStore: false,
    singleMachineWarning: false,
  });
  if (!plane.authEnabled) throw new Error("bench: the operator plane has auth off");
  return plane;
}

/** The Vault double with its KV store initialised. */
export async function openVaultStore({ lib, testing }) {
  const rootToken = `hvs.bench-${randomBytes(12).toString("hex")}`;
  const vault = new testing.VaultDouble({ rootToken });
  const url = await vault.start();
  const operatorEnv = cleanEnv({ GOFR_VAULT_URL: url, GOFR_VAULT_TOKEN: rootToken });
  await cli(["init", "--json"], operatorEnv);
  const plane = await openPlane(lib, operatorEnv);
  return {
    kind: "vault",
    label: "Vault double",
    operatorEnv,
    plane,
    /** N services, each behind its own counting proxy to the double. */
    async startFleet(count, vars) {
      const proxies = [];
      for (let i = 0; i < count; i += 1) proxies.push(await startCountingProxy(url));
      try {
        const services = await startFleet(count, (i) =>
          cleanEnv({ GOFR_VAULT_URL: proxies[i].url, GOFR_VAULT_TOKEN: rootToken, ...vars }),
        );
        services.forEach((service, i) => {
          service.proxy = proxies[i];
        });
        return services;
      } catch (error) {
        await Promise.all(proxies.map((proxy) => proxy.close()));
        throw error;
      }
    },
    async stopFleet(services) {
      await stopFleet(services);
      await Promise.all(services.map((service) => service.proxy.close()));
    },
    /**
     * When the operator's change was committed: the first write the double received at or
     * after `since` that is not the change marker (the secret version or the token record).
     */
    commitTime(since) {
      const write = vault.requests.find(
        (e) => e.time >= since && WRITES.has(e.method) && !e.path.endsWith("/_changes"),
      );
      return write?.time;
    },
    /** When the change marker was next written at or after `since`, if it was. */
    markerWriteTime(since) {
      const write = vault.requests.find(
        (e) => e.time >= since && WRITES.has(e.method) && e.path.endsWith("/_changes"),
      );
      return write?.time;
    },
    async close() {
      await plane.close();
      await vault.close();
    },
  };
}

/** One SQLite file in a new temporary folder. */
export async function openSqliteStore({ lib }) {
  const dir = mkdtempSync(join(tmpdir(), "gofr-auth-bench-fleet-"));
  const operatorEnv = cleanEnv({ GOFR_AUTH_STORE: join(dir, "auth.db") });
  try {
    await cli(["init", "--json"], operatorEnv);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const plane = await openPlane(lib, operatorEnv);
  return {
    kind: "sqlite",
    label: "SQLite file",
    operatorEnv,
    plane,
    startFleet: (count, vars) => startFleet(count, () => ({ ...operatorEnv, ...vars })),
    stopFleet,
    commitTime: () => undefined,
    markerWriteTime: () => undefined,
    async close() {
      await plane.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` tokens for clients (group admin, 1 day), minted with the current key. */
export async function mintClients(plane, count) {
  await plane.secretProvider.refresh();
  const clients = [];
  for (let i = 0; i < count; i += 1) {
    const { token, record, kid } = await plane.auth.createToken({
      groups: ["admin"],
      expiresInSeconds: 86_400,
    });
    clients.push({ token, id: record.id, kid });
  }
  return clients;
}
