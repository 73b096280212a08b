/**
 * Direct encoder for PublishRequest, the client's hot path when publishing files: protobuf-es
 * spent about 15 microseconds per indicator building and walking message objects, and the
 * publishing client shares the machine with the node. The bytes equal protobuf-es toBinary
 * (checked by a unit test). Anything this writer does not handle (negative timestamps) makes it
 * return undefined, and the caller falls back to the generated encoder.
 */
import { lenFieldSize, SizedWriter, stringSize, varintSize, WIRE_LEN, WIRE_VARINT } from './sized-writer.js';

export interface TimestampFields {
  seconds?: bigint;
  nanos?: number;
}

export interface IndicatorInputFields {
  id?: string;
  kind?: string;
  value?: string;
  tlp?: number;
  confidence?: number;
  action?: number;
  validFrom?: TimestampFields;
  validUntil?: TimestampFields;
  tags?: readonly string[];
  campaign?: string;
  techniques?: readonly string[];
  description?: string;
  normalizer?: string;
  keyEpoch?: number;
  maxDistance?: number;
}

const STRING_FIELDS = [
  [1, 'id'],
  [2, 'kind'],
  [3, 'value'],
] as const;
const TAIL_STRING_FIELDS = [
  [12, 'description'],
  [13, 'normalizer'],
] as const;

function timestampBody(t: TimestampFields): number | undefined {
  if ((t.seconds !== undefined && typeof t.seconds !== 'bigint') || (t.nanos !== undefined && !Number.isInteger(t.nanos))) return undefined;
  const seconds = Number(t.seconds ?? 0n);
  const nanos = t.nanos ?? 0;
  if (seconds < 0 || nanos < 0 || !Number.isSafeInteger(seconds)) return undefined;
  return (seconds !== 0 ? 1 + varintSize(seconds) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
}

const NUMBER_FIELDS = ['tlp', 'confidence', 'action', 'keyEpoch', 'maxDistance'] as const;

/** Plain, well-typed values only; anything else is left to the generated encoder to judge. */
function writable(item: IndicatorInputFields): boolean {
  for (const key of NUMBER_FIELDS) {
    const v = item[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) return false;
  }
  for (const [, key] of [...STRING_FIELDS, ...TAIL_STRING_FIELDS, [0, 'campaign'] as const]) {
    if (item[key] !== undefined && typeof item[key] !== 'string') return false;
  }
  for (const list of [item.tags, item.techniques]) {
    if (list !== undefined && !(Array.isArray(list) && list.every((x) => typeof x === 'string'))) return false;
  }
  return true;
}

function itemBody(item: IndicatorInputFields): number | undefined {
  if (!writable(item)) return undefined;
  let size = 0;
  const str = (s: string | undefined) => (s ? lenFieldSize(stringSize(s)) : 0);
  for (const [, key] of STRING_FIELDS) size += str(item[key]);
  if (item.tlp) size += 1 + varintSize(item.tlp);
  if (item.confidence !== undefined) size += 1 + varintSize(item.confidence);
  if (item.action) size += 1 + varintSize(item.action);
  for (const t of [item.validFrom, item.validUntil]) {
    if (t === undefined) continue;
    const body = timestampBody(t);
    if (body === undefined) return undefined;
    size += lenFieldSize(body);
  }
  for (const tag of item.tags ?? []) size += lenFieldSize(stringSize(tag));
  size += str(item.campaign);
  for (const technique of item.techniques ?? []) size += lenFieldSize(stringSize(technique));
  for (const [, key] of TAIL_STRING_FIELDS) size += str(item[key]);
  if (item.keyEpoch) size += 1 + varintSize(item.keyEpoch);
  if (item.maxDistance !== undefined) size += 1 + varintSize(item.maxDistance);
  return size;
}

function writeString(w: SizedWriter, field: number, s: string | undefined): void {
  if (s) w.tag(field, WIRE_LEN).string(s, stringSize(s));
}

function writeTimestamp(w: SizedWriter, field: number, t: TimestampFields | undefined): void {
  if (t === undefined) return;
  const seconds = Number(t.seconds ?? 0n);
  const nanos = t.nanos ?? 0;
  w.tag(field, WIRE_LEN).varint(timestampBody(t)!);
  if (seconds !== 0) w.tag(1, WIRE_VARINT).varint(seconds);
  if (nanos !== 0) w.tag(2, WIRE_VARINT).varint(nanos);
}

/** dtx.v1.PublishRequest, or undefined when an item needs the generated encoder. */
export function writePublishRequest(items: readonly IndicatorInputFields[]): Uint8Array | undefined {
  const bodies: number[] = [];
  let size = 0;
  for (const item of items) {
    const body = itemBody(item);
    if (body === undefined) return undefined;
    bodies.push(body);
    size += lenFieldSize(body);
  }
  const w = new SizedWriter(size);
  items.forEach((item, i) => {
    w.tag(1, WIRE_LEN).varint(bodies[i]!);
    for (const [field, key] of STRING_FIELDS) writeString(w, field, item[key]);
    if (item.tlp) w.tag(4, WIRE_VARINT).varint(item.tlp);
    if (item.confidence !== undefined) w.tag(5, WIRE_VARINT).varint(item.confidence);
    if (item.action) w.tag(6, WIRE_VARINT).varint(item.action);
    writeTimestamp(w, 7, item.validFrom);
    writeTimestamp(w, 8, item.validUntil);
    // Repeated strings are written even when empty; singular ones only when set.
    for (const tag of item.tags ?? []) w.tag(9, WIRE_LEN).string(tag, stringSize(tag));
    writeString(w, 10, item.campaign);
    for (const technique of item.techniques ?? []) w.tag(11, WIRE_LEN).string(technique, stringSize(technique));
    for (const [field, key] of TAIL_STRING_FIELDS) writeString(w, field, item[key]);
    if (item.keyEpoch) w.tag(14, WIRE_VARINT).varint(item.keyEpoch);
    if (item.maxDistance !== undefined) w.tag(15, WIRE_VARINT).varint(item.maxDistance);
  });
  return w.finish();
}

export interface PublishedItemFields {
  id: string;
  version: number;
  seq: number;
}

/**
 * dtx.v1.PublishResponse, the node's answer to every publish: protobuf-es' toBinary took about
 * 9 microseconds per item on the node's main thread, which is the publish pipeline's busiest
 * stage. Bytes equal protobuf-es toBinary (unit test).
 */
export function writePublishResponse(items: readonly PublishedItemFields[]): Uint8Array {
  const n = items.length;
  const idBytes = new Array<number>(n);
  const bodies = new Array<number>(n);
  let size = 0;
  for (let i = 0; i < n; i++) {
    const item = items[i]!;
    const id = (idBytes[i] = stringSize(item.id));
    const body = (bodies[i] = (id > 0 ? lenFieldSize(id) : 0) + (item.version !== 0 ? 1 + varintSize(item.version) : 0) + (item.seq !== 0 ? 1 + varintSize(item.seq) : 0));
    size += lenFieldSize(body);
  }
  const w = new SizedWriter(size);
  for (let i = 0; i < n; i++) {
    const item = items[i]!;
    w.tag(1, WIRE_LEN).varint(bodies[i]!);
    if (idBytes[i]! > 0) w.tag(1, WIRE_LEN).string(item.id, idBytes[i]!);
    if (item.version !== 0) w.tag(2, WIRE_VARINT).varint(item.version);
    if (item.seq !== 0) w.tag(3, WIRE_VARINT).varint(item.seq);
  }
  return w.finish();
}
