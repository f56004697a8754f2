/**
 * Reading stored records is strict about types: a value of the wrong JSON type is an error
 * (`store_unavailable`, naming the field), never coerced. The dangerous coercions are the
 * ones that widen access: an `expires_at` that is not a string read as "never expires", an
 * `is_active: "false"` read as active, a `revoked_at` number read as "not revoked".
 */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { groupFromWire, tokenRecordFromWire } from "../../src/store/wire.js";

const WHERE = "vault secret/gofr/auth/tokens/x";

const TOKEN = {
  id: "3f2b8c1e-8d9a-4b7c-9e6f-1a2b3c4d5e6f",
  name: "prod-api-server",
  groups: ["admin"],
  status: "revoked",
  created_at: "2026-02-17T10:11:12.123456",
  expires_at: "2026-03-19T10:11:12.123456",
  revoked_at: "2026-02-18T10:11:12.123456",
  fingerprint: "device-1",
};

const GROUP = {
  id: "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
  name: "billing",
  description: "Billing team",
  is_active: true,
  created_at: "2026-02-17T10:11:12.123456",
  defunct_at: null,
  is_reserved: false,
};

function malformed(read: () => unknown): AuthError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error("expected the record to be refused");
}

describe("token records of the wrong shape", () => {
  it.each([
    ["expires_at", 1_800_000_000],
    ["expires_at", "next month"],
    ["revoked_at", 1_700_000_000],
    ["created_at", null],
    ["name", 42],
    ["fingerprint", { device: 1 }],
    ["groups", ["admin", 7]],
    ["status", "ACTIVE"],
  ])("refuses %s = %j", (field, value) => {
    const error = malformed(() => tokenRecordFromWire({ ...TOKEN, [field]: value }, WHERE));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain(`'${field}'`);
    expect(error.message).toContain(WHERE);
  });

  it("reads absent optional fields as null, not as errors", () => {
    const { name, fingerprint, expires_at, revoked_at, ...required } = TOKEN;
    const record = tokenRecordFromWire(required, WHERE);
    expect(record).toMatchObject({ name: null, fingerprint: null, expiresAt: null });
    expect(record.revokedAt).toBeNull();
    expect(record.status).toBe("revoked");
  });
});

describe("groups of the wrong shape", () => {
  it.each([
    ["is_active", "false"],
    ["is_active", 0],
    ["is_reserved", "yes"],
    ["description", 5],
    ["defunct_at", 1_700_000_000],
    ["name", ""],
  ])("refuses %s = %j", (field, value) => {
    const error = malformed(() => groupFromWire({ ...GROUP, [field]: value }, WHERE));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain(`'${field}'`);
  });

  it("defaults missing flags as the Python fleet does: active, not reserved", () => {
    const { is_active, is_reserved, ...rest } = GROUP;
    expect(groupFromWire(rest, WHERE)).toMatchObject({ isActive: true, isReserved: false });
    expect(groupFromWire({ ...rest, is_active: null }, WHERE).isActive).toBe(true);
  });

  it("shows at most 40 characters of a bad string value", () => {
    const error = malformed(() =>
      groupFromWire({ ...GROUP, created_at: `not a date ${"x".repeat(100)}` }, WHERE),
    );
    expect(error.message).not.toContain("x".repeat(41));
  });
});
