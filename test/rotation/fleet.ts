/**
 * A small fleet on the Vault double for the rotation suites: "processes" that each have
 * their own Vault client, store, key ring and `node:http` server on 127.0.0.1, plus the
 * operator CLI run in-process against the same Vault.
 *
 * - minter: `POST /token?issuer=<name>` answers `{ token, kid }` (AuthService.forIssuer).
 * - verifier: `GET /whoami` behind `requireAuth` from `gofr-auth/node`, answering the
 *   verified context; refusals are the adapter's `{ error, code }` with 401/403/503.
 *
 * Each process's Vault client sends its own `X-Vault-Namespace`: the double records it (and
 * does not enforce it), so the request log tells whose reads were whose.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { requireAuth, type TokenVerifier } from "../../src/adapters/node.js";
import { AuthService } from "../../src/auth-service.js";
import { runCli } from "../../src/cli/program.js";
import type { Clock } from "../../src/clock.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import type { SigningKey } from "../../src/secrets/signing-key.js";
import { issuerSecretName } from "../../src/secrets/source.js";
import { VaultSecretSource } from "../../src/secrets/vault.js";
import { VaultAuthStore } from "../../src/store/vault.js";
import type { VaultTarget } from "../vault/target.js";

/** One service process: its own Vault client (tagged by namespace), store and key ring. */
export interface FleetProcess {
  name: string;
  auth: AuthService;
  keyRing: KeyRing;
  /**
   * `label`'s key (`shared` or an issuer) as this process's ring holds it at each call: a
   * ring keeps an issuer's provider only once it has found that issuer's key.
   */
  provider(label: string): HeldKey;
}

export interface HeldKey {
  /** The ring's secret cache TTL (issuers' providers use the shared one's). */
  readonly cacheTtlMs: number;
  /** The key held now, or undefined when the ring has not loaded it (or it expired). */
  currentKey(): SigningKey | undefined;
  /** Reads the latest version now; the ring must already know the key. */
  refresh(): Promise<SigningKey>;
}

export interface ProcessOptions {
  clock: Clock;
  rotationGraceSeconds?: number;
  trustedIssuers?: readonly string[];
  /** Secret cache TTL; default the provider's 300 s. */
  cacheTtlSeconds?: number;
}

export function fleetProcess(
  target: VaultTarget,
  name: string,
  options: ProcessOptions,
): FleetProcess {
  const client = target.client({ namespace: name, clock: options.clock });
  const keyRing = new KeyRing({
    source: new VaultSecretSource({ client }),
    cacheTtlSeconds: options.cacheTtlSeconds,
    clock: options.clock,
    logger: silentLogger,
  });
  const store = new VaultAuthStore({ client, clock: options.clock, logger: silentLogger });
  const auth = new AuthService({
    store,
    keyRing,
    rotationGraceSeconds: options.rotationGraceSeconds,
    trustedIssuers: options.trustedIssuers,
    clock: options.clock,
    logger: silentLogger,
  });
  return {
    name,
    auth,
    keyRing,
    provider(label) {
      const held = () => keyRing.providerForLabel(label);
      return {
        cacheTtlMs: keyRing.shared.cacheTtlMs,
        currentKey: () => held()?.currentKey(),
        refresh() {
          const provider = held();
          if (!provider) throw new Error(`${name}: no provider for ${label}`);
          return provider.refresh();
        },
      };
    },
  };
}

/** Reads of one secret's KV path by one process, from the double's request log. */
export function secretReads(
  target: VaultTarget,
  processName: string,
  secretName: string,
): { latest: number; versions: number } {
  const path = `/v1/secret/data/${secretName}`;
  const reads = (target.double?.requests ?? []).filter(
    (entry) => entry.namespace === processName && entry.method === "GET" && entry.path === path,
  );
  const versions = reads.filter((entry) => /[?&]version=/.test(entry.query)).length;
  return { latest: reads.length - versions, versions };
}

export const depositoSecret = issuerSecretName("deposito");

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** `POST /token?issuer=<name>`: mints for group `public` as that issuer (default `deposito`). */
export function startMinter(minter: FleetProcess): Promise<RunningServer> {
  const views = new Map<string, AuthService>();
  return listen(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    req.resume();
    if (req.method !== "POST" || url.pathname !== "/token") {
      sendJson(res, 404, { error: "not found" });
      return;
    }
    const issuer = url.searchParams.get("issuer") ?? "deposito";
    let view = views.get(issuer);
    if (!view) {
      view = minter.auth.forIssuer(issuer);
      views.set(issuer, view);
    }
    const minted = await view.createToken({ groups: ["public"], expiresInSeconds: 3600 });
    sendJson(res, 200, { token: minted.token, kid: minted.kid });
  });
}

/**
 * `GET /whoami` behind the node adapter. `verifier` defaults to the service's AuthService;
 * tests wrap it to observe what the verifier knew when a token arrived.
 */
export function startVerifier(
  service: FleetProcess,
  verifier: TokenVerifier = service.auth,
): Promise<RunningServer> {
  const guarded = requireAuth({ auth: verifier }, (_req, res, who) => {
    sendJson(res, 200, { subject: who.subject, issuer: who.issuer, keyId: who.keyId });
  });
  return listen(async (req, res) => {
    req.resume();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET" || url.pathname !== "/whoami") {
      sendJson(res, 404, { error: "not found" });
      return;
    }
    await guarded(req, res);
  });
}

export interface Minted {
  token: string;
  kid: string;
}

export async function mintOver(minterUrl: string, issuer = "deposito"): Promise<Minted> {
  const response = await fetch(`${minterUrl}/token?issuer=${encodeURIComponent(issuer)}`, {
    method: "POST",
  });
  const body = (await response.json()) as Minted & { error?: string };
  if (response.status !== 200) throw new Error(`minter answered ${response.status}: ${body.error}`);
  return body;
}

export interface WhoamiAnswer {
  status: number;
  /** The refusal's `code`, or undefined on 200. */
  code: string | undefined;
  /** The verified `kid` on 200. */
  keyId: string | undefined;
  issuer: string | undefined;
  wwwAuthenticate: string | null;
}

export async function whoami(verifierUrl: string, token: string): Promise<WhoamiAnswer> {
  const response = await fetch(`${verifierUrl}/whoami`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as { code?: string; keyId?: string; issuer?: string };
  return {
    status: response.status,
    code: body.code,
    keyId: body.keyId,
    issuer: body.issuer,
    wwwAuthenticate: response.headers.get("www-authenticate"),
  };
}

/** The operator CLI (`gofr-auth ...`) in-process against the target, `--json` output parsed. */
export async function operatorCli(
  target: VaultTarget,
  args: readonly string[],
  clock: Clock,
): Promise<Record<string, unknown>> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(["--json", ...args], {
    env: { GOFR_VAULT_URL: target.url, GOFR_VAULT_TOKEN: target.rootToken },
    clock,
    io: { stdout: (text) => out.push(text), stderr: (text) => err.push(text) },
  });
  if (code !== 0) {
    throw new Error(`gofr-auth ${args.join(" ")} exited ${code}: ${err.join("")}`);
  }
  return JSON.parse(out.join("")) as Record<string, unknown>;
}
