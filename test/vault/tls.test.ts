import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { rejection } from "./helpers.js";
import { DOUBLE_ROOT_TOKEN, describeDoubleOnly, testClientDefaults } from "./target.js";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const canRun = hasOpenssl();
if (!canRun) console.info("[vault] TLS tests skipped: the openssl binary is not available");

describeDoubleOnly("custom CA file", "serves its own self-signed certificate", () => {
  let vault: VaultDouble;
  let url: string;
  let caFile: string;
  const clients: VaultClient[] = [];

  beforeAll(async () => {
    if (!canRun) return;
    const dir = mkdtempSync(join(tmpdir(), "gofr-vault-tls-"));
    const key = join(dir, "key.pem");
    caFile = join(dir, "cert.pem");
    // A self-signed certificate for 127.0.0.1 is its own CA.
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        caFile,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    vault = new VaultDouble({
      rootToken: DOUBLE_ROOT_TOKEN,
      tls: { key: readFileSync(key), cert: readFileSync(caFile) },
    });
    url = await vault.start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await vault?.close();
  });

  const client = (extra: { caFile?: string }) => {
    const created = new VaultClient({
      address: url,
      auth: { method: "token", token: DOUBLE_ROOT_TOKEN },
      ...testClientDefaults(),
      maxRetries: 0,
      ...extra,
    });
    clients.push(created);
    return created;
  };

  it.skipIf(!canRun)("trusts Vault's certificate through caFile", async () => {
    expect(url.startsWith("https://127.0.0.1:")).toBe(true);
    vault.putSecret("tls/x", { value: "over-tls" });
    expect((await client({ caFile }).kv().read("tls/x")).data.value).toBe("over-tls");
  });

  it.skipIf(!canRun)("without the CA the connection is refused as vault_unreachable", async () => {
    const error = await rejection(client({}).kv().read("tls/x"));
    expect(error.code).toBe("vault_unreachable");
    expect(error.message).toMatch(/certificate/i);
  });

  it("an unreadable CA file is config_invalid at construction", () => {
    expect(
      () =>
        new VaultClient({
          address: "https://127.0.0.1:1",
          auth: { method: "token", token: "t" },
          caFile: "/nonexistent/ca.pem",
        }),
    ).toThrow(expect.objectContaining({ code: "config_invalid" }));
  });
});
