/**
 * Long-lived streams a client keeps open between uses (LookupStream). A graceful stop waits for
 * running calls; an idle stream would hold it for the whole grace period, so stopping ends them
 * first, with an OK status, and their clients open new ones elsewhere or later.
 */
export class OpenStreams {
  private readonly open = new Set<AbortController>();
  private ended = false;

  /** A signal that fires when the node stops; call `close` when the stream ends by itself. */
  add(): { signal: AbortSignal; close: () => void } {
    const controller = new AbortController();
    if (this.ended) controller.abort();
    else this.open.add(controller);
    return { signal: controller.signal, close: () => this.open.delete(controller) };
  }

  endAll(): void {
    this.ended = true;
    for (const controller of this.open) controller.abort();
    this.open.clear();
  }

  get size(): number {
    return this.open.size;
  }
}
