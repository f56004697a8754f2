/**
 * Where the Vault suites run: the in-process double (default) or a real Vault when
 * `VAULT_ADDR` and `VAULT_TOKEN` are set (`VAULT_ADDR=... VAULT_TOKEN=... npm run test:vault`).
 *
 * On a real Vault every test writes under a random path prefix (and random policy names)
 * that `stop()` deletes again; the token must be allowed to write `secret/` and manage
 * policies and tokens (a dev-mode root token is). Tests that need the double's clock,
 * fault injection, sealing or AppRole set-up are skipped there, with the reason printed.
 */
import { randomBytes } from "node:crypto";
import { describe } from "vitest";
import { type Logger, silentLogger } from "../../src/log.js";
import { VaultDouble, type VaultDoubleOptions } from "../../src/testing/vault-double.js";
import { VaultClient, type VaultClientOptions } from "../../src/vault/client.js";

const REAL_ADDR = process.env.VAULT_ADDR;
const REAL_TOKEN = process.env.VAULT_TOKEN;

/** True when the suites run against a real Vault. */
export const onRealVault = Boolean(REAL_ADDR && REAL_TOKEN);

export interface VaultTarget {
  kind: "double" | "real";
  url: string;
  rootToken: string;
  /** Unique per target; every path a test writes lives under it. */
  prefix: string;
  /** The double (undefined on a real Vault). */
  double: VaultDouble | undefined;
  /** A client (root token unless `auth` is given); closed by `stop()`. */
  client(options?: Partial<VaultClientOptions>): VaultClient;
  /** A policy name unique to this run; deleted by `stop()`. */
  policyName(label: string): string;
  /** Deletes what the tests wrote and closes clients and the double. */
  stop(): Promise<void>;
}

/** A root token distinctive enough that tests can assert it never appears in a message. */
export const DOUBLE_ROOT_TOKEN = `hvs.root-${randomBytes(12).toString("hex")}`;

/** Options every test client shares: quiet, quick retries. */
export function testClientDefaults(logger: Logger = silentLogger): Partial<VaultClientOptions> {
  return { logger, retryBaseDelayMs: 0, timeoutMs: 3000 };
}

export async function startTarget(options: VaultDoubleOptions = {}): Promise<VaultTarget> {
  const run = randomBytes(6).toString("hex");
  const clients: VaultClient[] = [];
  const policies: string[] = [];
  let double: VaultDouble | undefined;
  let url: string;
  let rootToken: string;
  if (onRealVault) {
    url = REAL_ADDR as string;
    rootToken = REAL_TOKEN as string;
  } else {
    double = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, ...options });
    url = await double.start();
    rootToken = double.rootToken;
  }
  const prefix = `gofr-test-${run}`;
  const client = (extra: Partial<VaultClientOptions> = {}) => {
    const created = new VaultClient({
      address: url,
      auth: { method: "token", token: rootToken },
      ...testClientDefaults(),
      ...extra,
    });
    clients.push(created);
    return created;
  };
  return {
    kind: onRealVault ? "real" : "double",
    url,
    rootToken,
    prefix,
    double,
    client,
    policyName: (label) => {
      const name = `gofr-test-${run}-${label}`;
      policies.push(name);
      return name;
    },
    async stop() {
      if (onRealVault) {
        const admin = new VaultClient({
          address: url,
          auth: { method: "token", token: rootToken },
          ...testClientDefaults(),
        });
        try {
          await deleteTree(admin, prefix);
          for (const name of policies) await admin.request("DELETE", `sys/policies/acl/${name}`);
        } finally {
          await admin.close();
        }
      }
      await Promise.all(clients.map((item) => item.close()));
      await double?.close();
    },
  };
}

async function deleteTree(client: VaultClient, folder: string): Promise<void> {
  const kv = client.kv("secret");
  for (const key of await kv.list(folder)) {
    if (key.endsWith("/")) await deleteTree(client, `${folder}/${key.slice(0, -1)}`);
    else await kv.deleteMetadata(`${folder}/${key}`);
  }
}

/**
 * `describe` for contract tests: each pins a Vault behaviour (a row of the contract in
 * docs/vault.md, citing Vault's source) and must pass against a real Vault with
 * `VAULT_ADDR=... VAULT_TOKEN=... npm run test:vault`, as it does against the double.
 */
export function describeContract(title: string, body: () => void): void {
  describe(`[contract] ${title}`, body);
}

/**
 * `describe` for tests that need the double (its clock, faults, sealing, AppRole set-up);
 * skipped on a real Vault with the reason printed.
 */
export function describeDoubleOnly(title: string, reason: string, body: () => void): void {
  if (onRealVault) {
    console.info(`[vault] skipped on real Vault: "${title}" (${reason})`);
  }
  describe.skipIf(onRealVault)(`[double-only] ${title}`, body);
}
