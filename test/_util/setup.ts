import { beforeAll } from 'vitest';
import { initCrypto } from '../../shared/crypto.js';

beforeAll(async () => {
  // Both backends, so that tests can compare them (selectCryptoBackend) in one process.
  await initCrypto({ portable: true });
});
