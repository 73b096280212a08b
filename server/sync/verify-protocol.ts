/** Messages between the applier and its signature-verifying workers (packed, transferred). */
export interface VerifyRequest {
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
