/** The shared JobQueue contract, run against the in-memory backend (the BullMQ one runs it in adapters/redis/). */
import { MemoryJobQueue } from './queue.ts';
import { jobQueueContract } from '../../testing/queue.contract.ts';

jobQueueContract('MemoryJobQueue', { make: (opts) => new MemoryJobQueue({ ...opts, retryDelayMs: 1 }) });
