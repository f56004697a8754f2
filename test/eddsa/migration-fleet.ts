/**
 * The moving parts of the HS256 -> EdDSA migration test (migration-e2e.test.ts): a store
 * (the Vault double with each role's Vault policy, or one SQLite file) bootstrapped as the
 * operator would, the reference web service started through its own `main()` (real HTTP on
 * 127.0.0.1, configured only by the env it is given; in this process so that one injected
 * clock can end the HS256 tokens' lifetime), deposito's minter, and a load balancer that
 * takes a service out of rotation and lets its in-flight requests finish before it stops it.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../examples/web/main.js";
import { servicePolicyRules } from "../../src/cli/commands/policy.js";
import { type AuthEnabled, resolveAuthConfig } from "../../src/config/resolve.js";
import { silentLogger } from "../../src/log.js";
import {
  createSecretIfAbsent,
  issuerSecretName,
  SHARED_SECRET_NAME,
} from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { type CapabilityInput, VaultDouble } from "../../src/testing/vault-double.js";
import { captureLogger, type LogEntry } from "../support/capture-logger.js";
import { ROOT } from "../support/json-line-process.js";
import { policyRules } from "../support/policy-rules.js";
import { cleanEnv, gofrAuth } from "../support/service-process.js";

/** The issuer that migrates. */
export const ISSUER = "deposito";
export type Alg = "HS256" | "EdDSA";
const PREFIX = "GOFR";

/** A store the fleet shares, and what the operator does to it. */
export interface MigrationStore {
  kind: "vault" | "sqlite";
  clock: ManualClock;
  /** The web services' environment, before any `<P>_ISSUER_ALGORITHMS`. */
  serviceEnv: Record<string, string>;
  /** deposito's minter's environment, likewise. */
  minterEnv: Record<string, string>;
  /** The operator CLI's environment (Vault: the gofr-admin policy). */
  operatorEnv: Record<string, string>;
  /** Vault: `vault secrets enable transit`, by whoever administers Vault. SQLite: nothing. */
  enableTransit(): Promise<void>;
  /** Before the minter mints EdDSA: it may sign (Vault: its policy gets `--mints-eddsa`). */
  allowMinterToSign(): void;
  close(): Promise<void>;
}

/**
 * The fleet's clock, starting now: the operator CLI (another process, on the real clock)
 * then judges the tokens minted before the test moves it.
 */
const clockNow = () => new ManualClock(Date.now());

/** As `openssl rand -base64 32`. */
const newSecret = () => randomBytes(32).toString("base64");

/** What `gofr-auth init` and `secrets generate --issuer deposito` leave in the store. */
async function bootstrap(env: Record<string, string>, clock: ManualClock): Promise<void> {
  const plane = await resolveAuthConfig({
    envPrefix: PREFIX,
    env,
    clock: clock.now,
    logger: silentLogger,
    checkSecret: false,
    singleMachineWarning: false,
  });
  if (!plane.authEnabled) throw new Error("auth is off");
  try {
    await createSecretIfAbsent(plane.secretSource, SHARED_SECRET_NAME, newSecret());
    await plane.secretSource.write(issuerSecretName(ISSUER), newSecret());
    await plane.auth.groups.ensureReservedGroups();
  } finally {
    await plane.close();
  }
}

/** `gofr-auth policy` rules in the double's shape. */
function asDoublePolicy(rules: { path: string; capabilities: string[] }[]) {
  return Object.fromEntries(
    rules.map((rule) => [rule.path, rule.capabilities as CapabilityInput[]]),
  );
}

/**
 * deposito's minter: `gofr-auth policy --issuer deposito --migrating [--mints-eddsa]` plus
 * writing the token records it mints: a KV v2 write to a new path needs `create`, an
 * existing one `update` (vault-api.md row 5), and this longer glob wins over the policy's
 * read-only `secret/data/gofr/auth/*` (row 27, the highest-priority glob).
 */
function minterPolicy(mintsEdDsa: boolean) {
  return {
    ...asDoublePolicy(
      servicePolicyRules({ issuer: ISSUER, migrating: true, verifies: [], mintsEdDsa }),
    ),
    "secret/data/gofr/auth/tokens/*": ["create", "read", "update"] as CapabilityInput[],
  };
}

/**
 * The Vault double with three roles: the web services (`gofr-auth policy --issuer gofr-web
 * --migrating --verifies deposito`: read-only, Transit public keys included), deposito's
 * minter, and the operator (docker/policies/gofr-admin.hcl). The transit engine is not
 * mounted: that is step 2.
 */
export async function vaultStore(): Promise<MigrationStore> {
  const clock = clockNow();
  const double = new VaultDouble({ clock: clock.now });
  const url = await double.start();
  double.setPolicy(
    "gofr-web",
    asDoublePolicy(servicePolicyRules({ issuer: "gofr-web", migrating: true, verifies: [ISSUER] })),
  );
  double.setPolicy("deposito", minterPolicy(false));
  double.setPolicy("gofr-admin", policyRules(join(ROOT, "docker", "policies", "gofr-admin.hcl")));
  const envAs = (policy: string) => ({
    [`${PREFIX}_VAULT_URL`]: url,
    [`${PREFIX}_VAULT_TOKEN`]: double.createToken({ policies: [policy] }),
    [`${PREFIX}_VAULT_PATH_PREFIX`]: "gofr/auth",
  });
  const operator = envAs("gofr-admin");
  await bootstrap(operator, clock);
  return {
    kind: "vault",
    clock,
    serviceEnv: { ...envAs("gofr-web"), [`${PREFIX}_ISSUER`]: "gofr-web" },
    minterEnv: { ...envAs("deposito"), [`${PREFIX}_ISSUER`]: ISSUER },
    operatorEnv: operator,
    async enableTransit() {
      // `vault secrets enable transit` is `POST sys/mounts/transit {"type":"transit"}`
      // (vault-api.md row 42), a Vault administrator's right: the root token here.
      const mounted = await fetch(`${url}/v1/sys/mounts/transit`, {
        method: "POST",
        headers: { "x-vault-token": double.rootToken },
        body: JSON.stringify({ type: "transit" }),
      });
      if (!mounted.ok) throw new Error(`enabling transit: ${mounted.status}`);
    },
    allowMinterToSign: () => double.setPolicy("deposito", minterPolicy(true)),
    close: () => double.close(),
  };
}

/** One SQLite file for the whole fleet (single-machine mode); the key is created in it. */
export async function sqliteStore(): Promise<MigrationStore> {
  const clock = clockNow();
  const dir = await mkdtemp(join(tmpdir(), "gofr-eddsa-migration-"));
  const file = join(dir, "auth.db");
  const env = { [`${PREFIX}_AUTH_STORE`]: file };
  await bootstrap(env, clock);
  return {
    kind: "sqlite",
    clock,
    serviceEnv: { ...env, [`${PREFIX}_ISSUER`]: "gofr-web" },
    minterEnv: { ...env, [`${PREFIX}_ISSUER`]: ISSUER },
    operatorEnv: env,
    enableTransit: async () => {},
    allowMinterToSign: () => {},
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * `gofr-auth <args> --json` with `env`: the built CLI in another process, as an operator
 * runs it. Its JSON answer; throws with its stderr when it fails.
 */
export async function operatorCli(args: string[], env: Record<string, string>): Promise<unknown> {
  const run = await gofrAuth([...args, "--json"], cleanEnv(env));
  if (run.code !== 0)
    throw new Error(`gofr-auth ${args.join(" ")}: exit ${run.code}\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** `<P>_ISSUER_ALGORITHMS` for deposito (undefined: not set, HS256 only). */
export function withAlgorithms(env: Record<string, string>, list: string | undefined) {
  return list === undefined
    ? { ...env }
    : { ...env, [`${PREFIX}_ISSUER_ALGORITHMS`]: `${ISSUER}=${list}` };
}

/** A running web service, as its load balancer sees it. */
export interface WebService {
  name: string;
  url: string;
  /** What it logged (its refusals' detail is only there). */
  log: LogEntry[];
  /** Requests sent to it and not answered yet. */
  inflight: Set<Promise<unknown>>;
  /** Requests it answered. */
  answered: number;
  stop(): Promise<void>;
}

/** The reference web service's `main()` with `env`, on an ephemeral port of 127.0.0.1. */
export async function startWebService(
  name: string,
  env: Record<string, string>,
  clock: ManualClock,
): Promise<WebService> {
  const logger = captureLogger();
  const result = await main(["--host", "127.0.0.1", "--port", "0", "--env-prefix", PREFIX], {
    env,
    logger,
    stdout: () => {},
    stderr: () => {},
    resolve: (options) => resolveAuthConfig({ ...options, clock: clock.now }),
  });
  if (result.kind !== "running") throw new Error(`${name} did not start (exit ${result.code})`);
  return {
    name,
    url: result.url,
    log: logger.entries,
    inflight: new Set(),
    answered: 0,
    stop: result.close,
  };
}

/** deposito's minter: the library as a service configured by `env` opens it. */
export async function startMinter(env: Record<string, string>, clock: ManualClock) {
  const plane = await resolveAuthConfig({
    envPrefix: PREFIX,
    env,
    clock: clock.now,
    logger: silentLogger,
  });
  if (!plane.authEnabled) throw new Error("auth is off");
  return plane;
}

export type Minter = AuthEnabled;

/** One request's answer: the HTTP status (0: no answer) and the body's `code`, if any. */
export interface Answer {
  status: number;
  code?: string;
}

/** `GET /whoami` with `token`, counted in the service's in-flight set until answered. */
export function whoami(service: WebService, token: string): Promise<Answer> {
  const request = fetch(`${service.url}/whoami`, {
    headers: { authorization: `Bearer ${token}` },
  }).then(
    async (response) => {
      const body = (await response.json()) as { code?: string };
      service.answered += 1;
      return { status: response.status, code: body.code };
    },
    (error: Error & { cause?: { code?: string } }) => ({
      status: 0,
      code: error.cause?.code ?? error.message,
    }),
  );
  service.inflight.add(request);
  request.finally(() => service.inflight.delete(request));
  return request;
}

/**
 * The services behind one load balancer. A rolling restart goes one service at a time:
 * out of rotation, its in-flight requests answered, stopped, its replacement started and
 * put in rotation, then `settle()` (the test waits for load on the new one) before the next.
 */
export class Fleet {
  private rotation: WebService[] = [];
  private started = 0;

  constructor(private readonly clock: ManualClock) {}

  /** The services taking requests now (a copy: the load loop's snapshot for one round). */
  inRotation(): WebService[] {
    return [...this.rotation];
  }

  async start(count: number, env: Record<string, string>): Promise<WebService[]> {
    const services = await Promise.all(Array.from({ length: count }, () => this.startOne(env)));
    this.rotation.push(...services);
    return services;
  }

  /** Replaces every service, one at a time, by one started with `env`; the new ones. */
  async rollingRestart(
    env: Record<string, string>,
    settle: () => Promise<void>,
  ): Promise<WebService[]> {
    const replaced: WebService[] = [];
    for (const old of this.inRotation()) {
      this.rotation = this.rotation.filter((service) => service !== old);
      await Promise.all(old.inflight);
      await old.stop();
      const fresh = await this.startOne(env);
      this.rotation.push(fresh);
      replaced.push(fresh);
      await settle();
    }
    return replaced;
  }

  async stop(): Promise<void> {
    const services = this.rotation.splice(0);
    await Promise.all(
      services.map(async (service) => {
        await Promise.all(service.inflight);
        await service.stop();
      }),
    );
  }

  private startOne(env: Record<string, string>): Promise<WebService> {
    this.started += 1;
    return startWebService(`web-${this.started}`, env, this.clock);
  }
}
