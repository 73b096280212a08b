/** Messages between the applier and its worker threads (packed, transferred). */
export interface VerifyRequest {
  kind: 'verify';
  id: number;
  /** n headers of HEADER_BYTES each. */
  headers: Uint8Array;
  /** n signatures of 64 bytes each. */
  signatures: Uint8Array;
}

export interface VerifyResponse {
  id: number;
  /** 1 where the signature verifies with the origin key in the header. */
  ok: Uint8Array;
}

/** The hashes of n entries: their payloads against their headers, and the entry hashes. */
export interface DigestRequest {
  kind: 'digest';
  id: number;
  /** n headers, each followed by its signature: HEADER_BYTES + 64 bytes each (what the entry hash covers). */
  sealed: Uint8Array;
  /** The n payloads end to end; payload i ends at ends[i]. */
  payloads: Uint8Array;
  ends: Uint32Array;
}

export interface DigestResponse {
  id: number;
  /** 1 where the payload's hash equals the payload hash in its header. */
  ok: Uint8Array;
  /** n entry hashes of 32 bytes each. */
  hashes: Uint8Array;
}
