export {
  checkNameIndexes,
  type IndexDrift,
  type IndexDriftProblem,
  type IndexKind,
} from "./index-drift.js";
export { MemoryAuthStore } from "./memory.js";
export {
  findMalformedRecords,
  type MalformedRecord,
  type RecordChecks,
} from "./record-scan.js";
export type { AuthStore } from "./store.js";
export {
  type GroupWire,
  groupFromWire,
  groupToWire,
  type TokenRecordWire,
  tokenRecordFromWire,
  tokenRecordToWire,
} from "./wire.js";
