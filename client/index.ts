/** Public surface of the DTX client library. The server uses the client only through here. */
export { DtxClient, type IndicatorInputInit, type LookupOptions, type ReadLogOptions } from './dtx-client.js';
export { verifyNodeLog, type OriginAudit } from './verify-node-log.js';
export type { TransportOptions } from './transport.js';
export { resumableSubscription, type CursorFields, type SubscriptionEvent, type SubscriptionOptions } from './subscription.js';
