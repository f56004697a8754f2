/**
 * Which signature algorithms each issuer (`kid` label) may use. The algorithm is never taken
 * from the token alone: a token's `alg` must be in its label's list, checked before any key
 * is read for that label.
 */
import { AuthError } from "../errors.js";
import { parseKeyId, SHARED_KEY_LABEL } from "./claims.js";

/** The algorithms gofr-auth mints and verifies. */
export type TokenAlgorithm = "HS256" | "EdDSA";

/** Every issuer's list unless configured: HS256 only. */
const DEFAULT_ALGORITHMS: readonly TokenAlgorithm[] = Object.freeze(["HS256"]);
const KNOWN: ReadonlySet<string> = new Set<TokenAlgorithm>(["HS256", "EdDSA"]);

/** Per-issuer algorithm allowlists (see `TokenServiceOptions.issuerAlgorithms`). */
export class IssuerAlgorithms {
  /** True when some issuer accepts EdDSA (a public key source is then required). */
  readonly usesEdDsa: boolean;
  private readonly lists = new Map<string, readonly TokenAlgorithm[]>();

  /** Checks the configuration; `config_invalid` for anything that cannot be meant. */
  constructor(config: Readonly<Record<string, readonly TokenAlgorithm[]>> | undefined) {
    for (const [label, list] of Object.entries(config ?? {})) {
      this.lists.set(label, checkedList(label, list));
    }
    this.usesEdDsa = [...this.lists.values()].some((list) => list.includes("EdDSA"));
  }

  /** The label's list, first entry = what its tokens are minted with. */
  of(label: string): readonly TokenAlgorithm[] {
    return this.lists.get(label) ?? DEFAULT_ALGORITHMS;
  }

  /** True when tokens of `label` may use `alg`. */
  allows(label: string, alg: unknown): boolean {
    return (this.of(label) as readonly unknown[]).includes(alg);
  }

  /** True when `issuer` mints EdDSA tokens (its list starts with EdDSA). */
  mintsEdDsa(issuer: string): boolean {
    return this.of(issuer)[0] === "EdDSA";
  }

  /** Refuses a token whose `alg` its label may not use (no key has been read for it). */
  check(label: string, alg: unknown): void {
    if (this.allows(label, alg)) return;
    const list = this.of(label).join(", ");
    throw new AuthError(
      "token_invalid",
      `Algorithm ${String(alg).slice(0, 20)} is not allowed for '${label}' tokens`,
      {
        hint:
          label === SHARED_KEY_LABEL
            ? "the shared key is HS256 only"
            : `'${label}' tokens may use ${list}; list the algorithm in issuerAlgorithms['${label}'] if it should be accepted`,
      },
    );
  }
}

function checkedList(label: string, list: unknown): readonly TokenAlgorithm[] {
  const bad = (why: string) =>
    new AuthError("config_invalid", `issuerAlgorithms['${label.slice(0, 64)}'] ${why}`, {
      hint: 'e.g. { deposito: ["EdDSA", "HS256"] }: the first entry is what the issuer mints',
    });
  if (parseKeyId(`${label}.v1`) === undefined) throw bad("is not a valid key label");
  if (!Array.isArray(list) || list.length === 0) throw bad("must be a non-empty list");
  for (const alg of list) {
    if (!KNOWN.has(alg)) throw bad(`names unknown algorithm ${JSON.stringify(alg)}`);
  }
  if (new Set(list).size !== list.length) throw bad("repeats an algorithm");
  if (label === SHARED_KEY_LABEL && list.some((alg) => alg !== "HS256")) {
    throw bad("must be HS256 only: the shared key is an HMAC secret");
  }
  return Object.freeze([...list]) as readonly TokenAlgorithm[];
}
