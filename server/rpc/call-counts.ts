/**
 * Calls answered by the gRPC server, by method and outcome: the request and error rates a
 * monitoring system alerts on (GET /metrics, dtx_rpc_calls_total). A plain map, counted on every
 * call, because the metrics library is loaded only at the first scrape; a streaming call counts
 * once, when it ends, however many messages it carried.
 */
export class CallCounts {
  private readonly counts = new Map<string, { method: string; code: string; count: number }>();

  /** `method` as "package.Service/Method"; `code` a DTX error code, OK, or CANCELLED (the client left). */
  add(method: string, code: string): void {
    const key = `${method} ${code}`;
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { method, code, count: 1 });
  }

  entries(): readonly { method: string; code: string; count: number }[] {
    return [...this.counts.values()];
  }
}
