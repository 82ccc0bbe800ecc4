import { pendingSchemaChanges } from '../scripts/schema-diff';
import { createScratchDatabase, serverUrl } from './support/test-database';

describe('schema drift', () => {
  it('the migrations build exactly the schema the entities describe', async () => {
    const server = serverUrl();
    const scratch = server ? await createScratchDatabase(server) : undefined;
    try {
      expect(await pendingSchemaChanges(scratch?.url)).toEqual([]);
    } finally {
      await scratch?.drop();
    }
  });
});
