/**
 * The pace of a month's wake-up: signals go out no faster than the workers take them in.
 *
 * Each signal schedules a workflow task on the sticky queue of the worker that last ran the
 * record. Sent all at once (a month wakes up to millions of records), they queue for minutes or
 * hours: a task left more than 10 s on its sticky queue times out and is scheduled again (two more
 * history events and a full history to send: about a fifth more server CPU per record, measured
 * at 10,000), and partner events queue behind the whole month. So the wake-up keeps only a few
 * seconds of the workers' work ahead of them: the records signalled whose record (PostgreSQL)
 * still shows the month awaited are in flight; before each chunk of signals it waits until those
 * in flight are fewer than `aheadSeconds` of the rate observed so far. Records that do not move
 * for `stallMs` are no longer waited for (a busy or failing workflow must not hold the month back;
 * the nightly re-check signals again those still waiting).
 */
export interface WakePacerOptions {
  /** Of these records, the ones still awaiting the month (their record not yet written). */
  stillWaiting: (ids: string[]) => Promise<string[]>;
  /** Called at each look while waiting: the activity's heartbeat. */
  beat: () => void;
  /** Seconds of work kept ahead of the workers (4). */
  aheadSeconds?: number;
  /** Records in flight before any rate is known, and at least (200). */
  minWindow?: number;
  pollMs?: number;
  stallMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const MAX_WINDOW = 50_000;

export class WakePacer {
  private readonly inFlight = new Set<string>();
  private done = 0;
  private startedAt: number | null = null;
  private readonly o: Required<WakePacerOptions>;

  constructor(options: WakePacerOptions) {
    this.o = {
      aheadSeconds: 4,
      minWindow: 200,
      pollMs: 500,
      stallMs: 30_000,
      now: () => Date.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      ...options,
    };
  }

  /** The records in flight allowed now: `aheadSeconds` of the rate seen, within bounds. */
  window(): number {
    const { aheadSeconds, minWindow, now } = this.o;
    if (this.startedAt === null) return minWindow;
    const seconds = Math.max(1, (now() - this.startedAt) / 1000);
    const rate = this.done / seconds;
    return Math.min(MAX_WINDOW, Math.max(minWindow, Math.round(rate * aheadSeconds)));
  }

  /** A record was signalled. */
  sent(id: string): void {
    this.startedAt ??= this.o.now();
    this.inFlight.add(id);
  }

  /** Records in flight now (for tests and logs). */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Wait until there is room for `count` more signals. */
  async room(count: number): Promise<void> {
    const { stillWaiting, beat, pollMs, stallMs, now, sleep } = this.o;
    let moved = now();
    while (this.inFlight.size > 0 && this.inFlight.size + count > this.window()) {
      await sleep(pollMs);
      const still = new Set(await stillWaiting([...this.inFlight]));
      const before = this.inFlight.size;
      for (const id of [...this.inFlight]) if (!still.has(id)) this.inFlight.delete(id);
      this.done += before - this.inFlight.size;
      beat();
      if (this.inFlight.size < before) moved = now();
      else if (now() - moved >= stallMs) {
        // Nothing moved for a while: go on without them.
        this.inFlight.clear();
      }
    }
  }
}
