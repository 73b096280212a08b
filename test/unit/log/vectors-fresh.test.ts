/**
 * Keeps test/vectors/log-v1.json in step with its generator. With DTX_WRITE_VECTORS=1 the test
 * (re)writes the file instead of comparing:
 *
 *   DTX_WRITE_VECTORS=1 npx vitest run test/unit/log/vectors-fresh.test.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VECTORS_FILE, vectorsText } from '../../vectors/generate.js';

const REGENERATE = 'DTX_WRITE_VECTORS=1 npx vitest run test/unit/log/vectors-fresh.test.ts';

describe('test/vectors/log-v1.json', () => {
  it('matches what test/vectors/generate.ts builds', async () => {
    const fresh = await vectorsText();
    // Deterministic: two builds are identical.
    expect(await vectorsText()).toBe(fresh);
    if (process.env.DTX_WRITE_VECTORS === '1') {
      writeFileSync(VECTORS_FILE, fresh);
      return;
    }
    const path = fileURLToPath(VECTORS_FILE);
    expect(existsSync(path), `${path} is missing; generate it with: ${REGENERATE}`).toBe(true);
    const committed = readFileSync(VECTORS_FILE, 'utf8');
    if (committed !== fresh) {
      // Show a structural diff first; fall back to the text (formatting) difference.
      expect(JSON.parse(committed), `the committed vectors are stale; if the change is intended, regenerate with: ${REGENERATE}`).toEqual(
        JSON.parse(fresh),
      );
      expect(committed, `the committed vectors are not formatted as generated; regenerate with: ${REGENERATE}`).toBe(fresh);
    }
  });
});
