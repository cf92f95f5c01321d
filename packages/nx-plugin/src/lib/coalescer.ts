/**
 * Answers many callers asking for keys one at a time with one bulk lookup: the keys asked for before the
 * event loop next turns go out together, and every answer is kept, so a key is looked up once per
 * coalescer. Many checks in one process ask for the same repositories and bases; this is what makes
 * their requests scale with the distinct things asked for instead of with the callers.
 */
export class Coalescer<K, V> {
  private readonly answers = new Map<K, Promise<V>>();
  private pending = new Map<K, { resolve: (value: V) => void; reject: (err: unknown) => void }>();
  private scheduled = false;
  /** Bulk lookups made so far. */
  lookups = 0;

  /** `lookup` answers the keys it can; keys missing from its answer get `missing`. */
  constructor(
    private readonly lookup: (keys: K[]) => Promise<Map<K, V>>,
    private readonly missing: V,
  ) {}

  get(key: K): Promise<V> {
    const known = this.answers.get(key);
    if (known) return known;
    const answer = new Promise<V>((resolve, reject) => this.pending.set(key, { resolve, reject }));
    this.answers.set(key, answer);
    if (!this.scheduled) {
      this.scheduled = true;
      // setImmediate runs after the promise callbacks already queued: callers resuming together join this lookup.
      setImmediate(() => void this.flush());
    }
    return answer;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    this.lookups++;
    try {
      const found = await this.lookup([...batch.keys()]);
      for (const [key, waiter] of batch) waiter.resolve(found.has(key) ? (found.get(key) as V) : this.missing);
    } catch (err) {
      for (const waiter of batch.values()) waiter.reject(err);
    }
  }
}

/**
 * Keeps one promise per key (the argument itself, or what `keyOf` makes of it): the first caller starts
 * the work, later ones share its answer (or its failure).
 */
export function memoize<A, V>(fn: (arg: A) => Promise<V>, keyOf: (arg: A) => unknown = (arg) => arg): (arg: A) => Promise<V> {
  const answers = new Map<unknown, Promise<V>>();
  return (arg) => {
    const key = keyOf(arg);
    let answer = answers.get(key);
    if (!answer) {
      answer = fn(arg);
      answers.set(key, answer);
    }
    return answer;
  };
}
