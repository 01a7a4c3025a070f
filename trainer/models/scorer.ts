/**
 * The one scoring interface every model type implements, so that evaluation (and later the
 * edge) treats them alike.
 */
export interface Scorer {
  /** Number of items scored. */
  readonly nItems: number;
  /** Scores of every item for a known user (index). */
  scoreUser(user: number, out: Float32Array): void;
  /**
   * Scores of every item for a list of items (a cart, a session of viewed items), with the
   * user's index when the user is known, or -1 for an anonymous visitor. A single item
   * gives "similar items".
   */
  scoreItems(items: Int32Array, user: number, out: Float32Array): void;
}
