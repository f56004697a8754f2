/** Plain-`fetch` access to the Vault HTTP API for the double's contract tests. */

export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
  /** The raw body text (key order as sent). */
  text: string;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
}

/** `method /v1/<path>` against `base`, with an optional token and JSON body. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const response = await fetch(`${base}/v1/${path}`, {
    method,
    headers: {
      ...(options.token ? { "X-Vault-Token": options.token } : {}),
      ...(options.body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : undefined,
    headers: response.headers,
    text,
  };
}

/** `data` of a Vault answer. */
export function dataOf<T = Record<string, unknown>>(answer: Answer): T {
  return (answer.body as { data: T }).data;
}

/** `errors` of a Vault error answer. */
export function errorsOf(answer: Answer): string[] {
  return (answer.body as { errors: string[] }).errors;
}

/**
 * A token whose policies are `policies` (one HCL policy each, written over HTTP with the
 * root token), for ACL tests. `name(label)` gives unique policy names.
 */
export async function tokenWithPolicies(
  base: string,
  rootToken: string,
  name: (label: string) => string,
  policies: readonly Record<string, readonly string[]>[],
): Promise<string> {
  const names: string[] = [];
  for (const [index, rules] of policies.entries()) {
    const policy = name(`p${index}-${Math.random().toString(36).slice(2, 8)}`);
    const hcl = Object.entries(rules)
      .map(
        ([path, caps]) =>
          `path "${path}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(", ")}]\n}`,
      )
      .join("\n");
    const put = await call(base, "PUT", `sys/policies/acl/${policy}`, {
      token: rootToken,
      body: { policy: hcl },
    });
    if (put.status !== 204) throw new Error(`policy write answered ${put.status}`);
    names.push(policy);
  }
  const created = await call(base, "POST", "auth/token/create", {
    token: rootToken,
    body: { policies: names, ttl: "10m" },
  });
  return (created.body as { auth: { client_token: string } }).auth.client_token;
}
