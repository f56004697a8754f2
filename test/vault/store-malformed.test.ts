/**
 * One malformed token record on Vault (written by another tool, or edited by hand) used
 * to break every `tokens list` and every named `tokens create` (the name scan read it and
 * threw). Scans now skip and report it; its own lookups still fail closed, and `doctor`
 * lists it.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import { doctor } from "../../src/config/doctor.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { captureLogger } from "../support/capture-logger.js";
import { randomSecret, rejection } from "./helpers.js";
import { storeFixture } from "./store-fixtures.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix } = storeFixture(() => target);

async function fleetWithBadRecord(label: string) {
  const prefix = freshPrefix(label);
  const logger = captureLogger();
  const store = makeStore(prefix, { logger });
  const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: randomSecret() } });
  const auth = new AuthService({ store, secretProvider: new JwtSecretProvider({ source }) });
  await auth.groups.ensureReservedGroups();
  const first = await auth.createToken({ groups: ["public"], name: "first" });
  const badId = randomUUID();
  // `groups` as a string: the Python fleet's reader would choke on it too.
  await target.client().kv().write(`${prefix}/tokens/${badId}`, {
    id: badId,
    name: "broken",
    groups: "admin",
    status: "active",
    created_at: "2026-01-15T10:30:00.000000",
    expires_at: null,
    revoked_at: null,
    fingerprint: null,
  });
  return { prefix, logger, store, auth, first, badId };
}

describeContract("VaultAuthStore with one malformed token record", () => {
  it("tokens list and named tokens create still work; the bad record is skipped", async () => {
    const { auth, first, badId } = await fleetWithBadRecord("malformed-list");
    const second = await auth.createToken({ groups: ["public"], name: "second" });
    const listed = (await auth.listTokens()).map((record) => record.id);
    expect(listed.sort()).toEqual([first.record.id, second.record.id].sort());
    expect(listed).not.toContain(badId);
    // Names are still unique: a name held by a readable record is refused.
    expect((await rejection(auth.createToken({ groups: ["public"], name: "first" }))).code).toBe(
      "token_name_taken",
    );
  });

  it("warns once per bad record, and lists it with what is wrong", async () => {
    const { prefix, logger, store, auth, badId } = await fleetWithBadRecord("malformed-report");
    await auth.listTokens();
    await auth.listTokens();
    const warnings = logger.entries.filter((entry) => entry.message.includes("cannot be read"));
    expect(warnings).toHaveLength(1);
    expect(await store.malformedRecords()).toEqual([
      {
        kind: "token",
        id: badId,
        where: `vault secret/${prefix}/tokens/${badId}`,
        problem: "field 'groups' is \"admin\"",
      },
    ]);
  });

  it("the bad record's own lookup fails closed", async () => {
    const { store, badId } = await fleetWithBadRecord("malformed-lookup");
    expect((await rejection(store.getToken(badId))).code).toBe("store_unavailable");
  });

  it("doctor lists it (records_malformed)", async () => {
    const { prefix, badId } = await fleetWithBadRecord("malformed-doctor");
    const list = await doctor({
      envPrefix: "GOFR_DIG",
      env: {
        GOFR_DIG_VAULT_URL: target.url,
        GOFR_DIG_VAULT_TOKEN: target.rootToken,
        GOFR_DIG_VAULT_PATH_PREFIX: prefix,
      },
      inContainer: false,
    });
    const finding = list.find((item) => item.code === "records_malformed");
    expect(finding?.level).toBe("error");
    expect(finding?.message).toContain(`tokens/${badId} (field 'groups' is "admin")`);
  });
});
