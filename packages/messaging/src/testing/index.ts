export { busContract, probeCodecs, type BusHarness } from './busContract.ts';
export { eventually } from './eventually.ts';
