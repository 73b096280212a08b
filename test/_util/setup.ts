import { beforeAll } from 'vitest';
import { quietIpServerNameWarning } from '../../server/cli/warnings.js';
import { initCrypto } from '../../shared/crypto.js';

// In-process nodes dial https://127.0.0.1 as `dtx` does; drop the same warning it drops.
quietIpServerNameWarning();

beforeAll(async () => {
  // Both backends, so that tests can compare them (selectCryptoBackend) in one process.
  await initCrypto({ portable: true });
});
