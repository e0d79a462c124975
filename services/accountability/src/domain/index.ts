// The accountability rules: incidents after the HURIDOCS Events Standard Formats, investigations,
// interventions to authorities and their responses, and the monitor's figures. No I/O.
export * from './incident.ts';
export * from './investigation.ts';
export * from './intervention.ts';
export * from './figures.ts';
export * from './vocabulary.ts';
