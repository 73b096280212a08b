/** Progress lines on stderr (stdout carries only the result table), and bounded loops. */

const started = performance.now();

export function progress(message: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A time limit for one load loop; every loop is also bounded by its count. */
export class Budget {
  private readonly until: number;
  private hit = false;

  constructor(
    readonly label: string,
    readonly ms: number,
  ) {
    this.until = performance.now() + ms;
  }

  /** True once the time is up (and says so once on stderr). */
  get expired(): boolean {
    if (!this.hit && performance.now() > this.until) {
      this.hit = true;
      progress(`${this.label}: time budget of ${(this.ms / 1000).toFixed(0)} s used up; stopping this loop early`);
    }
    return this.hit;
  }

  get exceeded(): boolean {
    return this.hit;
  }
}

/** Calls back at most every `everyMs` while a loop runs. */
export function throttled(everyMs: number, fn: () => void): () => void {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last >= everyMs) {
      last = now;
      fn();
    }
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
