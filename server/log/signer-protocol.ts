/** Messages between the sequencer and its signer worker (packed buffers, transferred not copied). */
import type { RunToSign, SignedRun } from '../../shared/log/signed-run.js';

export interface SignRequest extends Omit<RunToSign, 'prevHash'> {
  id: number;
  /** Absent: chain on the last entry the worker signed, which must be startSeq - 1. */
  prevHash: Uint8Array | undefined;
}

export interface SignResponse extends Partial<SignedRun> {
  id: number;
  error?: string;
}
