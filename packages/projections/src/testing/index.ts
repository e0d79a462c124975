export { readModelContract, type ReadModelHarness } from './readModelContract.ts';
