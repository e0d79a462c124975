export { timerContract, type TimerPlace, type TimerStoreHarness } from './timerContract.ts';
