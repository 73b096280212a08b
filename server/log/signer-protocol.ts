/** Messages between the sequencer and its signer worker (packed buffers, transferred not copied). */
export interface SignRequest {
  id: number;
  epoch: number;
  startSeq: number;
  prevHash: Uint8Array;
  timestampMs: number;
  types: Uint16Array;
  /** offsets[i]..offsets[i+1] delimit payload i inside payloads. */
  offsets: Uint32Array;
  payloads: Uint8Array;
}

export interface SignResponse {
  id: number;
  error?: string;
  headers?: Uint8Array;
  signatures?: Uint8Array;
  hashes?: Uint8Array;
}
