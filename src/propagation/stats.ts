/**
 * Counters of change propagation (issue 16), read by the service and published as metrics.
 *
 * The reader side (`ChangePoller`) fills the poll fields; the writer side (marker appends
 * after a committed change) fills `markerWriteFailures`.
 */
export interface PropagationStats {
  /** Marker reads attempted (one per interval in steady state). */
  polls: number;
  /** Marker reads (or the refreshes they triggered) that failed; counted in `polls` too. */
  pollFailures: number;
  /** Change entries applied (a secret refreshed or a token record forgotten). */
  changesApplied: number;
  /** Full drops: entries missed (window passed) or the marker deleted and re-created. */
  resyncs: number;
  /** Last seen marker version, which is the change sequence (0 = no marker yet). */
  markerVersion: number;
  /** Applied-at minus the entry's `at` for the last entry applied, in ms; undefined before any. */
  lastChangeLagMs: number | undefined;
  /** Epoch ms of the last successful poll; undefined before the first. */
  lastPollOkAt: number | undefined;
  /** True while polls fail (from the first failed poll until one succeeds). */
  outage: boolean;
  /** Writer side: marker appends that failed after the change itself was committed. */
  markerWriteFailures: number;
}
