/**
 * Per-issuer isolation over HTTP: a verifier that trusts only negocio refuses deposito's
 * tokens (own key or shared fallback) with 401 `issuer_untrusted`, without reading
 * deposito's secret, while an open verifier accepts the same tokens.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import { describeDoubleOnly, startTarget, type VaultTarget } from "../vault/target.js";
import {
  depositoSecret,
  fleetProcess,
  mintOver,
  operatorCli,
  type RunningServer,
  secretReads,
  startMinter,
  startVerifier,
  whoami,
} from "./fleet.js";

describeDoubleOnly(
  "issuer isolation over HTTP",
  "writes the fleet's fixed secret paths and reads the double's request log",
  () => {
    let target: VaultTarget;
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const servers: RunningServer[] = [];
    let minterUrl: string;
    let negocioOnlyUrl: string;
    let openUrl: string;

    beforeAll(async () => {
      target = await startTarget({ clock: clock.now });
      await operatorCli(target, ["init"], clock.now);
      await operatorCli(target, ["secrets", "generate", "--issuer", "deposito"], clock.now);
      await operatorCli(target, ["secrets", "generate", "--issuer", "negocio"], clock.now);
      const minter = fleetProcess(target, "minter", { clock: clock.now });
      const negocioOnly = fleetProcess(target, "negocio-only", {
        clock: clock.now,
        trustedIssuers: ["negocio"],
      });
      const open = fleetProcess(target, "open", { clock: clock.now });
      for (const server of await Promise.all([
        startMinter(minter),
        startVerifier(negocioOnly),
        startVerifier(open),
      ])) {
        servers.push(server);
      }
      [minterUrl, negocioOnlyUrl, openUrl] = servers.map((server) => server.url) as [
        string,
        string,
        string,
      ];
    });

    afterAll(async () => {
      await Promise.all(servers.map((server) => server.close()));
      await target?.stop();
    });

    it("a deposito token (own key) is refused by a verifier trusting only negocio", async () => {
      const deposito = await mintOver(minterUrl, "deposito");
      expect(deposito.kid).toBe("deposito.v1");
      const refused = await whoami(negocioOnlyUrl, deposito.token);
      expect(refused).toMatchObject({ status: 401, code: "issuer_untrusted" });
      expect(refused.wwwAuthenticate).toMatch(/^Bearer error="invalid_token"/);
      // Refused on the kid alone: the untrusted issuer's secret was never fetched.
      expect(secretReads(target, "negocio-only", depositoSecret)).toEqual({
        latest: 0,
        versions: 0,
      });
      // The same token is valid for a verifier that trusts every issuer.
      expect(await whoami(openUrl, deposito.token)).toMatchObject({
        status: 200,
        issuer: "deposito",
        keyId: "deposito.v1",
      });
    });

    it("a token of an issuer without its own key (shared fallback) is refused too", async () => {
      const bodega = await mintOver(minterUrl, "bodega");
      expect(bodega.kid).toBe("shared.v1");
      expect(await whoami(negocioOnlyUrl, bodega.token)).toMatchObject({
        status: 401,
        code: "issuer_untrusted",
      });
      expect(await whoami(openUrl, bodega.token)).toMatchObject({ status: 200, issuer: "bodega" });
    });

    it("negocio's own tokens pass the negocio-only verifier", async () => {
      const negocio = await mintOver(minterUrl, "negocio");
      expect(await whoami(negocioOnlyUrl, negocio.token)).toMatchObject({
        status: 200,
        issuer: "negocio",
        keyId: "negocio.v1",
      });
    });
  },
);
