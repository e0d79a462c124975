// The accountability rules: incidents after the HURIDOCS Events Standard Formats. No I/O.
export {
  incidentDecider,
  incidentStream,
  type IdempotencyKeyUsed,
  type IncidentCommand,
  type IncidentEvent,
  type IncidentRecorded,
  type IncidentRecordedData,
  type IncidentState,
  type RecordIncident,
} from './incident.ts';
export {
  ACTS,
  PERPETRATOR_CATEGORIES,
  SOURCE_TYPES,
  type Act,
  type PerpetratorCategory,
  type SourceType,
} from './vocabulary.ts';
