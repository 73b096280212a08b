/**
 * A direct encoder for SubscribeResponse, the message every federation stream is made of:
 * up to thousands of entries whose bytes are copied as they are, plus heads on heartbeats.
 * Equal to protobuf-es toBinary (a unit test checks), without a message object per entry.
 */
import { lenFieldSize, SizedWriter, stringSize, varintSize, WIRE_LEN, WIRE_VARINT } from './sized-writer.js';

export interface EntryBytes {
  header: Uint8Array;
  signature: Uint8Array;
  payload: Uint8Array;
}

export interface SyncHeadFields {
  origin: string;
  epoch: number;
  seq: number;
  hash: Uint8Array;
  timestampMs: number;
  /** The head entry's header and signature as signed (the proof of the claim); empty when absent. */
  header: Uint8Array;
  signature: Uint8Array;
}

const bytesField = (length: number) => (length === 0 ? 0 : lenFieldSize(length));

function entryBody(e: EntryBytes): number {
  return bytesField(e.header.length) + bytesField(e.signature.length) + bytesField(e.payload.length);
}

function headBody(h: SyncHeadFields): number {
  const origin = stringSize(h.origin);
  return (
    (origin === 0 ? 0 : lenFieldSize(origin)) +
    (h.epoch === 0 ? 0 : 1 + varintSize(h.epoch)) +
    (h.seq === 0 ? 0 : 1 + varintSize(h.seq)) +
    bytesField(h.hash.length) +
    (h.timestampMs === 0 ? 0 : 1 + varintSize(h.timestampMs)) +
    bytesField(h.header.length) +
    bytesField(h.signature.length)
  );
}

function putBytes(w: SizedWriter, field: number, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  w.tag(field, WIRE_LEN).varint(bytes.length);
  w.buffer.set(bytes, w.position);
  w.advance(bytes.length);
}

/** Times and seqs are non-negative here (entry headers are validated before they are stored). */
export function writeSubscribeResponse(entries: readonly EntryBytes[], heads: readonly SyncHeadFields[] = [], caughtUp = false): Uint8Array {
  const entrySizes = entries.map(entryBody);
  const headSizes = heads.map(headBody);
  let size = 0;
  for (const s of entrySizes) size += lenFieldSize(s);
  for (const s of headSizes) size += lenFieldSize(s);
  if (caughtUp) size += 2;
  const w = new SizedWriter(size);
  entries.forEach((e, i) => {
    w.tag(1, WIRE_LEN).varint(entrySizes[i]!);
    putBytes(w, 1, e.header);
    putBytes(w, 2, e.signature);
    putBytes(w, 3, e.payload);
  });
  heads.forEach((h, i) => {
    w.tag(2, WIRE_LEN).varint(headSizes[i]!);
    if (h.origin !== '') w.tag(1, WIRE_LEN).string(h.origin, stringSize(h.origin));
    if (h.epoch !== 0) w.tag(2, WIRE_VARINT).varint(h.epoch);
    if (h.seq !== 0) w.tag(3, WIRE_VARINT).varint(h.seq);
    putBytes(w, 4, h.hash);
    if (h.timestampMs !== 0) w.tag(5, WIRE_VARINT).varint(h.timestampMs);
    putBytes(w, 6, h.header);
    putBytes(w, 7, h.signature);
  });
  if (caughtUp) w.tag(3, WIRE_VARINT).varint(1);
  return w.finish();
}
