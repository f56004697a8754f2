/**
 * `issuerAlgorithms` refusals, spelled out: the configuration that cannot be meant
 * (config_invalid, at construction) and a token whose `alg` its label may not use
 * (token_invalid, before any key is read). Code, exact message, hint and the accepted edges.
 */
import { describe, expect, it } from "vitest";
import { IssuerAlgorithms, type TokenAlgorithm } from "../../src/tokens/algorithms.js";
import { checkRefusal } from "./refusals.js";

const CONFIG_HINT =
  'e.g. { deposito: ["EdDSA", "HS256"] }: the first entry is what the issuer mints';

function configure(config: Record<string, readonly TokenAlgorithm[]>) {
  return () => new IssuerAlgorithms(config);
}

describe("a configuration that cannot be meant", () => {
  it("quotes at most 64 characters of a label no kid can name, with the example hint", async () => {
    const label = `deposito-${"x".repeat(90)}`;
    await checkRefusal(
      {
        name: "long label",
        run: configure({ [label]: ["EdDSA"] }),
        expected: {
          code: "config_invalid",
          message: `issuerAlgorithms['${label.slice(0, 64)}'] is not a valid key label`,
          hint: CONFIG_HINT,
        },
      },
      [],
    );
  });

  it("refuses EdDSA anywhere in the shared key's list, even after HS256", async () => {
    await checkRefusal(
      {
        name: "shared with EdDSA second",
        run: configure({ shared: ["HS256", "EdDSA"] }),
        expected: {
          code: "config_invalid",
          message:
            "issuerAlgorithms['shared'] must be HS256 only: the shared key is an HMAC secret",
          hint: CONFIG_HINT,
        },
      },
      [],
    );
  });

  it("accepts the shared key listed as HS256 only", () => {
    const algorithms = new IssuerAlgorithms({ shared: ["HS256"] });
    expect(algorithms.of("shared")).toEqual(["HS256"]);
    expect(algorithms.usesEdDsa).toBe(false);
  });
});

describe("a token whose alg its label may not use", () => {
  const algorithms = new IssuerAlgorithms({ deposito: ["EdDSA", "HS256"] });

  it("names the label's whole list, comma-separated, in the hint", async () => {
    await checkRefusal(
      {
        name: "RS256 for deposito",
        run: () => algorithms.check("deposito", "RS256"),
        expected: {
          code: "token_invalid",
          message: "Algorithm RS256 is not allowed for 'deposito' tokens",
          hint: "'deposito' tokens may use EdDSA, HS256; list the algorithm in issuerAlgorithms['deposito'] if it should be accepted",
        },
      },
      [],
    );
  });

  it("quotes only the first 20 characters of a long alg", async () => {
    const alg = `HS256${"A".repeat(40)}`;
    await checkRefusal(
      {
        name: "long alg",
        run: () => algorithms.check("deposito", alg),
        expected: {
          code: "token_invalid",
          message: `Algorithm ${alg.slice(0, 20)} is not allowed for 'deposito' tokens`,
          hint: "'deposito' tokens may use EdDSA, HS256; list the algorithm in issuerAlgorithms['deposito'] if it should be accepted",
        },
      },
      [],
    );
  });

  it("tells a shared-key token that the shared key is HS256 only", async () => {
    await checkRefusal(
      {
        name: "EdDSA for shared",
        run: () => algorithms.check("shared", "EdDSA"),
        expected: {
          code: "token_invalid",
          message: "Algorithm EdDSA is not allowed for 'shared' tokens",
          hint: "the shared key is HS256 only",
        },
      },
      [],
    );
  });

  it("lets an allowed alg through", () => {
    expect(() => algorithms.check("deposito", "HS256")).not.toThrow();
  });
});
