/** Raw record types, re-exported where the service layer and pipelines expect them. */
export { recordsToMatrix } from '../formats/records.js';
export type { RawRecord, RawValue, EncodedBatch } from '../formats/records.js';
