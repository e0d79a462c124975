export { eventStoreContract, type EventStoreHarness } from './eventStoreContract.ts';
export { tailConcurrentWriters, type TailReport } from './tailing.ts';
export { exited, spawnTypeScript } from './processes.ts';
export { sqliteIntegrity } from './integrity.ts';
