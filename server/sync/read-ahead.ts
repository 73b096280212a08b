/**
 * Pulls the next item of an async iterable while the consumer still handles the current one,
 * calling `onArrival` for each as it arrives. A peer link uses it to start hashing a received
 * message on a worker thread while the main thread is still storing the message before
 * (applier.ts, digest). One item ahead at most: the source's own backpressure still holds.
 */
export async function* readAhead<T, U>(source: AsyncIterable<T>, onArrival: (item: T) => U): AsyncGenerator<{ item: T; arrival: U }> {
  const it = source[Symbol.asyncIterator]();
  const pull = () => it.next().then((r) => (r.done ? undefined : { item: r.value, arrival: onArrival(r.value) }));
  let next = pull();
  try {
    for (;;) {
      const current = await next;
      if (current === undefined) return;
      next = pull();
      yield current;
    }
  } finally {
    // When the consumer stops early a pull may still be pending: its outcome is no longer news.
    next.catch(() => undefined);
    void it.return?.();
  }
}
