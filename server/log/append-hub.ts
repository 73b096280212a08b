/**
 * Wake-ups for everything that follows the logs (subscription outboxes): the sequencer reports
 * the node's own appends and the sync applier reports relayed ones. Waiters never miss an append:
 * they pass the version they last saw, and return at once if it has moved since.
 */
import type { ChainHead } from '../../shared/log/chain-verifier.js';

export type AppendedListener = (origin: number, head: ChainHead) => void;

export class AppendHub {
  private counter = 0;
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<AppendedListener>();

  /** Increases with every append; compare before waiting. */
  get version(): number {
    return this.counter;
  }

  notify(origin: number, head: ChainHead): void {
    this.counter++;
    for (const wake of [...this.waiters]) wake();
    for (const listener of this.listeners) listener(origin, head);
  }

  onAppended(listener: AppendedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the version moves past `seen`, after timeoutMs, or when signal aborts. */
  wait(seen: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.counter !== seen || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
