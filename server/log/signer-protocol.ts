/** Messages between the sequencer and its signer worker (packed buffers, transferred not copied). */
import type { RunToSign, SignedRun } from '../../shared/log/signed-run.js';

export interface SignRequest extends RunToSign {
  id: number;
}

export interface SignResponse extends Partial<SignedRun> {
  id: number;
  error?: string;
}
