/**
 * The sized writer's strings: short ASCII ones are measured and copied in JavaScript, the rest
 * through Buffer. Both must give exactly Node's UTF-8 bytes, on either side of the cut-over.
 */
import { describe, expect, it } from 'vitest';
import { SizedWriter, stringSize } from '../../../shared/wire/sized-writer.js';

function written(s: string): Buffer {
  const size = stringSize(s);
  const w = new SizedWriter(1 + (size >= 128 ? 1 : 0) + size);
  w.string(s, size);
  return Buffer.from(w.finish());
}

function expected(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const prefix = bytes.length >= 128 ? [0x80 | (bytes.length & 0x7f), bytes.length >> 7] : [bytes.length];
  return Buffer.concat([Buffer.from(prefix), bytes]);
}

describe('SizedWriter strings', () => {
  const odd = ['é', '€', '😀', '\ud800', '\udfff', '\u0080', '\u007f'];

  it('write ASCII of every length around the cut-over as UTF-8', () => {
    for (let n = 0; n <= 130; n++) {
      const s = Array.from({ length: n }, (_, i) => String.fromCharCode(32 + ((i * 7) % 95))).join('');
      expect(stringSize(s), `length ${n}`).toBe(Buffer.byteLength(s, 'utf8'));
      expect(written(s).equals(expected(s)), `length ${n}`).toBe(true);
    }
  });

  it('write strings with one character beyond ASCII (incl. lone surrogates) at any position as UTF-8', () => {
    for (const n of [1, 2, 30, 62, 63, 64, 65, 100]) {
      for (const c of odd) {
        for (const at of [0, Math.floor(n / 2), n - 1]) {
          const base = 'a'.repeat(n).split('');
          base[at] = c;
          const s = base.join('');
          expect(stringSize(s), `${JSON.stringify(c)} at ${at} of ${n}`).toBe(Buffer.byteLength(s, 'utf8'));
          expect(written(s).equals(expected(s)), `${JSON.stringify(c)} at ${at} of ${n}`).toBe(true);
        }
      }
    }
  });
});
