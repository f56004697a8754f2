import { describe, expect, it } from "vitest";
import type { Group } from "../../src/groups/group.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import {
  groupFromWire,
  groupToWire,
  tokenRecordFromWire,
  tokenRecordToWire,
} from "../../src/store/wire.js";
import { formatTimestamp, parseTimestamp } from "../../src/timestamps.js";
import type { TokenRecord } from "../../src/tokens/record.js";

// A record exactly as the Python fleet writes it to Vault.
const PYTHON_TOKEN = {
  id: "3f2b8c1e-8d9a-4b7c-9e6f-1a2b3c4d5e6f",
  name: "prod-api-server",
  groups: ["admin", "finance"],
  status: "active",
  created_at: "2026-02-17T10:11:12.123456",
  expires_at: "2026-03-19T10:11:12.123456",
  revoked_at: null,
  fingerprint: null,
};

describe("timestamps", () => {
  it("formats as naive UTC with microseconds, like Python's isoformat()", () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 15, 10, 30, 0, 123))).toBe(
      "2026-01-15T10:30:00.123000",
    );
  });

  it("reads naive (as UTC), Z and offset forms", () => {
    const expected = Date.UTC(2026, 0, 15, 10, 30, 0, 123);
    expect(parseTimestamp("2026-01-15T10:30:00.123456")).toBe(expected);
    expect(parseTimestamp("2026-01-15T10:30:00.123456789Z")).toBe(expected);
    expect(parseTimestamp("2026-01-15T12:30:00.123+02:00")).toBe(expected);
    expect(parseTimestamp("2026-01-15T05:30:00.123-0500")).toBe(expected);
    expect(parseTimestamp("2026-01-15T10:30:00")).toBe(expected - 123);
    expect(() => parseTimestamp("yesterday")).toThrow(
      expect.objectContaining({ code: "invalid_input" }),
    );
  });
});

describe("wire format", () => {
  it("reads a Python token record and writes it back unchanged (to the millisecond)", () => {
    const record = tokenRecordFromWire(PYTHON_TOKEN, "gofr/auth/tokens/x");
    expect(record.createdAt.toISOString()).toBe("2026-02-17T10:11:12.123Z");
    expect(record.status).toBe("active");
    expect(tokenRecordToWire(record)).toEqual({
      ...PYTHON_TOKEN,
      created_at: "2026-02-17T10:11:12.123000",
      expires_at: "2026-03-19T10:11:12.123000",
    });
  });

  it("defaults a missing status to active, as the Python fleet does", () => {
    const { status: _status, ...withoutStatus } = PYTHON_TOKEN;
    expect(tokenRecordFromWire(withoutStatus, "p").status).toBe("active");
  });

  it("rejects malformed records with a typed error naming the field and path", () => {
    for (const broken of [
      { ...PYTHON_TOKEN, groups: "admin" },
      { ...PYTHON_TOKEN, status: "paused" },
      { ...PYTHON_TOKEN, created_at: "soon" },
      { ...PYTHON_TOKEN, id: 5 },
      null,
    ]) {
      expect(() => tokenRecordFromWire(broken, "gofr/auth/tokens/x")).toThrow(
        expect.objectContaining({ code: "store_unavailable" }),
      );
    }
    const error = (() => {
      try {
        tokenRecordFromWire({ ...PYTHON_TOKEN, groups: "admin" }, "gofr/auth/tokens/x");
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toContain("gofr/auth/tokens/x");
    expect(error?.message).toContain("'groups'");
  });

  it("round-trips a group with the Python field names", () => {
    const group: Group = {
      id: "7a1f3a8e-5b8d-4c3e-9f2a-0b1c2d3e4f5a",
      name: "finance",
      description: null,
      isActive: false,
      createdAt: new Date(Date.UTC(2026, 1, 1)),
      defunctAt: new Date(Date.UTC(2026, 1, 2)),
      isReserved: false,
    };
    const wire = groupToWire(group);
    expect(Object.keys(wire).sort()).toEqual(
      ["created_at", "defunct_at", "description", "id", "is_active", "is_reserved", "name"].sort(),
    );
    expect(wire.created_at).toBe("2026-02-01T00:00:00.000000");
    expect(groupFromWire(JSON.parse(JSON.stringify(wire)), "g")).toEqual(group);
  });
});

describe("MemoryAuthStore", () => {
  const record: TokenRecord = {
    id: "3f2b8c1e-8d9a-4b7c-9e6f-1a2b3c4d5e6f",
    name: "ops",
    groups: ["admin"],
    status: "active",
    createdAt: new Date(0),
    expiresAt: null,
    revokedAt: null,
    fingerprint: null,
  };

  it("returns copies, so callers cannot change stored records by accident", async () => {
    const store = new MemoryAuthStore();
    await store.insertToken(record);
    const read = await store.getToken(record.id);
    read?.groups.push("finance");
    expect((await store.getToken(record.id))?.groups).toEqual(["admin"]);
  });

  it("refuses a taken token name and updates of unknown ids", async () => {
    const store = new MemoryAuthStore();
    await store.insertToken(record);
    await expect(store.insertToken({ ...record, id: "other" })).rejects.toMatchObject({
      code: "token_name_taken",
    });
    await expect(store.updateToken({ ...record, id: "missing" })).rejects.toMatchObject({
      code: "invalid_input",
    });
    expect((await store.findTokenByName("ops"))?.id).toBe(record.id);
  });
});
