/**
 * `GET /.well-known/jwks.json` on the reference web service: started on loopback from its
 * environment (embedded store, `GOFR_ISSUER_ALGORITHMS`), its EdDSA tokens verify with jose's
 * `createRemoteJWKSet` + `jwtVerify`; the set follows rotations and retirements; it is cached
 * no longer than the public key cache; 404 without EdDSA issuers; 503 when keys cannot be read.
 */
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import type { MainResult } from "../../examples/shared/main.js";
import { main as webMain } from "../../examples/web/main.js";
import { createWebServer } from "../../examples/web/server.js";
import type { AuthEnabled, ResolvedAuthConfig } from "../../src/config/index.js";
import { resolveAuthConfig } from "../../src/config/index.js";
import { MemoryEdDsaKeys } from "../../src/eddsa/memory.js";
import { PublicKeySet } from "../../src/eddsa/public-key-set.js";
import { createEdDsaKey, retireEdDsaKeys, rotateEdDsaKey } from "../../src/eddsa/sqlite-admin.js";
import { AuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { type AuthDatabase, openAuthDatabase } from "../../src/sqlite/database.js";
import { useTempDirs } from "../sqlite/helpers.js";

const temp = useTempDirs();
const closing: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

interface Service {
  url: string;
  jwksUrl: URL;
  plane: AuthEnabled;
  admin: AuthDatabase;
}

/** The web service's main() on 127.0.0.1:0 over a new store where deposito has a key. */
async function service(extraEnv: Record<string, string> = {}): Promise<Service> {
  const path = join(temp.dir(), "auth.db");
  const admin = openAuthDatabase({ path });
  temp.onCleanup(() => admin.close());
  createEdDsaKey(admin, "deposito");
  const planes: ResolvedAuthConfig[] = [];
  const result: MainResult = await webMain(["--host", "127.0.0.1", "--port", "0"], {
    env: {
      GOFR_AUTH_STORE: path,
      GOFR_ISSUER: "deposito",
      GOFR_ISSUER_ALGORITHMS: "deposito=EdDSA;billing=HS256,EdDSA",
      ...extraEnv,
    },
    logger: silentLogger,
    stdout: () => {},
    resolve: async (options) => {
      const plane = await resolveAuthConfig(options);
      planes.push(plane);
      return plane;
    },
  });
  if (result.kind !== "running") throw new Error("the service did not start");
  closing.push(() => result.close());
  const plane = planes[0];
  if (!plane?.authEnabled) throw new Error("expected auth");
  await plane.auth.groups.ensureReservedGroups();
  return { url: result.url, jwksUrl: new URL(`${result.url}/.well-known/jwks.json`), plane, admin };
}

/** jose's verification against the service's JWKS, as another implementation would do it. */
function joseVerify(jwksUrl: URL, token: string) {
  return jwtVerify(token, createRemoteJWKSet(jwksUrl), {
    algorithms: ["EdDSA"],
    audience: "gofr-api",
    issuer: "deposito",
  });
}

describe("GET /.well-known/jwks.json", () => {
  it("an EdDSA token minted by the service verifies with jose's remote JWKS", async () => {
    const { jwksUrl, plane } = await service();
    const minted = await plane.auth.createToken({ groups: ["public"] });
    expect(minted.kid).toBe("deposito.v1");
    const { payload, protectedHeader } = await joseVerify(jwksUrl, minted.token);
    expect(protectedHeader).toEqual({ alg: "EdDSA", typ: "JWT", kid: "deposito.v1" });
    expect(payload).toEqual(minted.claims);
  });

  it("is a JWK Set (application/jwk-set+json), cached for 60 s, of the EdDSA issuers with a key", async () => {
    const { jwksUrl } = await service();
    const response = await fetch(jwksUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/jwk-set\+json/);
    expect(response.headers.get("cache-control")).toBe("public, max-age=60");
    const body = (await response.json()) as { keys: Array<Record<string, string>> };
    // billing accepts EdDSA but has no key yet: left out.
    expect(body.keys.map(({ kid, kty, crv, alg, use }) => ({ kid, kty, crv, alg, use }))).toEqual([
      { kid: "deposito.v1", kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" },
    ]);
    expect(body.keys[0]?.x).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(body)).not.toMatch(/"d"/); // never a private key
  });

  it("max-age is never above the public key cache TTL (<P>_JWT_SECRET_TTL)", async () => {
    const { jwksUrl } = await service({ GOFR_JWT_SECRET_TTL: "20" });
    expect((await fetch(jwksUrl)).headers.get("cache-control")).toBe("public, max-age=20");
  });

  it("follows a rotation, and a retirement drops the old version so jose refuses its tokens", async () => {
    const { jwksUrl, plane, admin } = await service();
    const old = await plane.auth.createToken({ groups: ["public"] });
    rotateEdDsaKey(admin, "deposito"); // another process: seen on the next request
    const fresh = await plane.auth.createToken({ groups: ["public"] });
    expect(fresh.kid).toBe("deposito.v2");
    const kids = async () =>
      ((await (await fetch(jwksUrl)).json()) as { keys: Array<{ kid: string }> }).keys.map(
        (key) => key.kid,
      );
    expect(await kids()).toEqual(["deposito.v1", "deposito.v2"]);
    await expect(joseVerify(jwksUrl, old.token)).resolves.toBeDefined();

    retireEdDsaKeys(admin, "deposito", 2);
    expect(await kids()).toEqual(["deposito.v2"]);
    await expect(joseVerify(jwksUrl, fresh.token)).resolves.toBeDefined();
    await expect(joseVerify(jwksUrl, old.token)).rejects.toMatchObject({
      code: "ERR_JWKS_NO_MATCHING_KEY",
    });
  });
});

describe("GET /.well-known/jwks.json without keys to serve", () => {
  async function listen(options: Parameters<typeof createWebServer>[0]): Promise<string> {
    const { app } = await createWebServer(options);
    closing.push(() => app.close());
    await (app as FastifyInstance).listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    if (!address || typeof address !== "object") throw new Error("not listening");
    return `http://127.0.0.1:${address.port}/.well-known/jwks.json`;
  }

  it("is 404 when no issuer lists EdDSA (the service publishes no JWKS)", async () => {
    const url = await listen({ auth: null, logger: silentLogger });
    expect((await fetch(url)).status).toBe(404);
    const empty = new PublicKeySet({ reader: new MemoryEdDsaKeys(), logger: silentLogger });
    const none = await listen({
      auth: null,
      logger: silentLogger,
      jwks: { publicKeys: empty, issuers: [] },
    });
    expect((await fetch(none)).status).toBe(404);
  });

  it("is 503 with Retry-After and no-store when the key store cannot be read", async () => {
    const keys = new MemoryEdDsaKeys();
    keys.create("deposito");
    keys.read = async () => {
      throw new AuthError("store_unavailable", "the key store is down");
    };
    const publicKeys = new PublicKeySet({ reader: keys, logger: silentLogger });
    const url = await listen({
      auth: null,
      logger: silentLogger,
      jwks: { publicKeys, issuers: ["deposito"] },
      retryAfterSeconds: 7,
    });
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "unavailable", code: "store_unavailable" });
  });
});
