import { describe, expect, it } from "vitest";
import { AUTH_ERROR_CODES, AuthError, isAuthError } from "../src/errors.js";

describe("AuthError", () => {
  it("carries a stable code, a category and a hint in the message", () => {
    const error = new AuthError("vault_sealed", "Vault is sealed", { hint: "unseal it" });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("AuthError");
    expect(error.code).toBe("vault_sealed");
    expect(error.category).toBe("unavailable");
    expect(error.message).toBe("Vault is sealed (hint: unseal it)");
    expect(isAuthError(error, "vault_sealed")).toBe(true);
    expect(isAuthError(error, "token_invalid")).toBe(false);
    expect(isAuthError(new Error("x"))).toBe(false);
  });

  it("every code the architecture lists exists, with a category adapters can map", () => {
    for (const code of [
      "token_expired",
      "token_invalid",
      "token_revoked",
      "audience_mismatch",
      "issuer_untrusted",
      "group_not_found",
      "secret_unavailable",
      "secret_too_weak",
      "vault_permission_denied",
      "vault_sealed",
      "vault_unreachable",
      "config_invalid",
    ]) {
      expect(AUTH_ERROR_CODES).toHaveProperty(code);
    }
    expect(new AuthError("token_expired", "x").category).toBe("credentials");
    expect(new AuthError("secret_unavailable", "x").category).toBe("unavailable");
    expect(new AuthError("insufficient_groups", "x").category).toBe("forbidden");
  });
});
