/** The store contract against the local SQLite store, one fresh database file per test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../shared/adapters/local/sqlite-store.ts';
import { storeContract } from './store.contract.ts';

storeContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pagerless-contract-'));
  const store = new SqliteStore(join(dir, 'data', 'pagerless.db'));
  return {
    store,
    close: async () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
