/**
 * `POST sys/capabilities-self {"paths": [...]}`, which `gofr-auth doctor` asks to learn
 * which signing secrets its own identity may read (src/config/doctor-policy.ts).
 *
 * What Vault answers (hashicorp `vault/logical_system.go` `handleCapabilities`): `data` keyed
 * by each asked path, plus `capabilities` when exactly one path is asked; a 400 "paths must
 * be supplied" when none is; and, as for the other `sys/capabilities*` routes, the data
 * repeated at the top level (`http/handler.go` `injectDataIntoTopRoutes`). Each list is the
 * capabilities of the one rule the ACL chooses for the path (hashicorp `vault/acl.go`
 * `Capabilities` via `AllowOperation`: exact rule first, else the best glob), `["deny"]`
 * when that rule denies or no rule matches, `["root"]` for a root token, sorted
 * (`vault/capabilities.go` `CapabilitiesAndSubscribeEventTypes`). Every token may ask:
 * Vault's built-in `default` policy grants `update` on it (hashicorp `vault/policy_store.go`
 * `defaultPolicy`), and these tokens keep `default`.
 * Written with real HCL policies and tokens over HTTP, so a real Vault answers the same.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Answer, call, errorsOf, tokenWithPolicies } from "./double-http.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

describeContract("sys/capabilities-self", () => {
  let target: VaultTarget;
  let n = 0;
  /** `secret/data/<prefix>/caps/<label>-<n>`: a fresh folder's ACL path. */
  const folder = (label: string) => `secret/data/${target.prefix}/caps/${label}-${++n}`;
  const token = (...policies: Record<string, readonly string[]>[]) =>
    tokenWithPolicies(target.url, target.rootToken, (label) => target.policyName(label), policies);
  const ask = (who: string, body: unknown) =>
    call(target.url, "POST", "sys/capabilities-self", { token: who, body });
  const dataOf = (answer: Answer) =>
    (answer.body as { data: Record<string, unknown> }).data as Record<string, unknown>;

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.stop());

  it("answers per path with the chosen rule's capabilities, sorted", async () => {
    const acl = folder("per-path");
    const who = await token({
      [`${acl}/*`]: ["read", "list"],
      [`${acl}/exact`]: ["update", "create"],
      [`${acl}/denied/*`]: ["deny"],
    });
    const paths = [`${acl}/any`, `${acl}/exact`, `${acl}/denied/x`, `${acl}-elsewhere/x`];
    const answer = await ask(who, { paths });
    expect(answer.status).toBe(200);
    expect(dataOf(answer)).toEqual({
      // The glob rule: its own capabilities, in Vault's sorted order.
      [`${acl}/any`]: ["list", "read"],
      // The exact rule beats the glob that also matches: only its capabilities, no read.
      [`${acl}/exact`]: ["create", "update"],
      // The longer glob is chosen and it denies.
      [`${acl}/denied/x`]: ["deny"],
      // No rule matches.
      [`${acl}-elsewhere/x`]: ["deny"],
    });
    // Several paths: no `capabilities` key.
    expect(dataOf(answer)).not.toHaveProperty("capabilities");
  });

  it("an exact rule in one policy beats a glob deny in another", async () => {
    const acl = folder("exact-over-deny");
    const who = await token({ [`${acl}/*`]: ["deny"] }, { [`${acl}/x`]: ["read"] });
    const answer = await ask(who, { paths: [`${acl}/x`, `${acl}/y`] });
    expect(dataOf(answer)).toEqual({ [`${acl}/x`]: ["read"], [`${acl}/y`]: ["deny"] });
  });

  it("one path asked: its list is also under `capabilities`, and data is repeated at the top", async () => {
    const acl = folder("single");
    const who = await token({ [`${acl}/*`]: ["read"] });
    const answer = await ask(who, { paths: [`${acl}/x`] });
    expect(answer.status).toBe(200);
    const expected = { [`${acl}/x`]: ["read"], capabilities: ["read"] };
    expect(dataOf(answer)).toEqual(expected);
    expect(answer.body).toMatchObject(expected);
  });

  it("a root token has ['root'] on every path", async () => {
    const acl = folder("root");
    const answer = await ask(target.rootToken, { paths: [`${acl}/x`, "sys/anything"] });
    expect(dataOf(answer)).toEqual({ [`${acl}/x`]: ["root"], "sys/anything": ["root"] });
  });

  it("no paths is a 400", async () => {
    const who = await token({ [`${folder("none")}/*`]: ["read"] });
    for (const body of [{}, { paths: [] }]) {
      const answer = await ask(who, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorsOf(answer).join(" ")).toContain("paths must be supplied");
    }
  });
});
