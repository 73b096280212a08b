/**
 * Makes committed transactions durable without holding the main thread: the node's own
 * appends commit with synchronous NORMAL (SQLite writes the log but does not fsync it), then
 * fdatasync the write-ahead log here, on libuv's thread pool, before anyone hears of them. The
 * main thread meanwhile validates and stores the next batches.
 *
 * Each call flushes on its own, and calls may overlap: every fdatasync covers what was written
 * before it started, and the kernel lets overlapping ones share the disk's work. (Serving calls
 * that arrive during a flush with one more flush after it, as a group commit, measured slower:
 * a group then waited for up to two flushes.)
 *
 * On Linux, fdatasync through any descriptor flushes the file's data, including what SQLite
 * wrote through its own. The descriptor is opened once: SQLite keeps the same log file for as
 * long as a connection is open (it removes it when the last one closes, and only truncates or
 * rewrites it in place otherwise), and the node's connection is open for the node's life.
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync } from 'node:fs';

export class WalSync {
  private fd: number | undefined;
  private inFlight = 0;
  private closing: (() => void) | undefined;

  constructor(private readonly walPath: string) {}

  /**
   * Flushes at once, on the calling thread: at start-up, so that what an earlier process
   * committed without a flush (it was killed before its fsync) is durable before it is served.
   */
  syncNow(): void {
    let fd: number;
    try {
      fd = openSync(this.walPath, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // no log: nothing to flush
      throw err;
    }
    try {
      if (fstatSync(fd).size > 0) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Resolves once everything committed before the call is on disk; rejects if that fails.
   * `here`: flush on the calling thread (blocking it for the flush) instead of the thread pool.
   */
  sync(here = false): Promise<void> {
    if (here) {
      try {
        fdatasyncSync((this.fd ??= openSync(this.walPath, 'r+')));
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return new Promise((resolve, reject) => {
      let fd: number;
      try {
        fd = this.fd ??= openSync(this.walPath, 'r+');
      } catch (err) {
        reject(err);
        return;
      }
      this.inFlight++;
      fdatasync(fd, (err) => {
        if (--this.inFlight === 0) this.closing?.();
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /** Waits for flushes under way, then closes the descriptor. */
  async close(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.closing = resolve));
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
