export {
  CHANGE_MARKER_KEY,
  CHANGE_WINDOW,
  type Change,
  type ChangeEntry,
  ChangeMarker,
  type ChangeMarkerOptions,
  type ChangeMarkerStats,
  type MarkerState,
} from "./marker.js";
export {
  ChangePoller,
  type ChangePollerOptions,
  DEFAULT_PROPAGATION_SECONDS,
  type RecordChangeTarget,
  type SecretChangeTarget,
} from "./poller.js";
export type { PropagationStats } from "./stats.js";
