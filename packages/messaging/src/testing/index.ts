export { busContract, type BusHarness } from './busContract.ts';
export { probeCodecs } from './probe.ts';
