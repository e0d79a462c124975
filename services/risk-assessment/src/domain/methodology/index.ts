import { amanRiskV1 } from './amanRiskV1.ts';
import { amanRiskV2 } from './amanRiskV2.ts';
import { MethodologyRegistry } from './methodology.ts';

export { amanRiskV1 } from './amanRiskV1.ts';
export { amanRiskV2 } from './amanRiskV2.ts';
export {
  MethodologyRegistry,
  levelFor,
  type Methodology,
  type RiskInput,
  type RiskResult,
  type Thresholds,
} from './methodology.ts';

/** Every methodology version Aman has used; new assessments use the current one. */
export const METHODOLOGIES = new MethodologyRegistry([amanRiskV1, amanRiskV2], amanRiskV2);
