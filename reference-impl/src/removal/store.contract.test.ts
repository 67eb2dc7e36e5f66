/** The shared RequestStore contract, run against the in-memory backend (the Redis one runs it in adapters/redis/). */
import { MemoryRequestStore } from './store.ts';
import { requestStoreContract } from '../../testing/store.contract.ts';

requestStoreContract('MemoryRequestStore', { make: (clock) => new MemoryRequestStore(clock) });
