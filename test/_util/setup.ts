import { beforeAll } from 'vitest';
import { initCrypto } from '../../shared/crypto.js';

beforeAll(async () => {
  await initCrypto();
});
