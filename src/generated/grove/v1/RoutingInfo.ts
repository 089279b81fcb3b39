// Original file: proto/grove/v1/model.proto

import type { AuditRecord as _grove_v1_AuditRecord, AuditRecord__Output as _grove_v1_AuditRecord__Output } from '../../grove/v1/AuditRecord.js';
import type { ShadowSummary as _grove_v1_ShadowSummary, ShadowSummary__Output as _grove_v1_ShadowSummary__Output } from '../../grove/v1/ShadowSummary.js';

export interface RoutingInfo {
  /**
   * 0 = none.
   */
  'live'?: (number);
  'candidate'?: (number);
  /**
   * off | shadow | canary
   */
  'mode'?: (string);
  'weight'?: (number | string);
  'sample_rate'?: (number | string);
  'previous_live'?: (number);
  'audit'?: (_grove_v1_AuditRecord)[];
  'shadow'?: (_grove_v1_ShadowSummary | null);
  /**
   * Why routing.json was refused (the last good routing stays in force), if it was.
   */
  'problem'?: (string);
}

export interface RoutingInfo__Output {
  /**
   * 0 = none.
   */
  'live': (number);
  'candidate': (number);
  /**
   * off | shadow | canary
   */
  'mode': (string);
  'weight': (number);
  'sample_rate': (number);
  'previous_live': (number);
  'audit': (_grove_v1_AuditRecord__Output)[];
  'shadow': (_grove_v1_ShadowSummary__Output | null);
  /**
   * Why routing.json was refused (the last good routing stays in force), if it was.
   */
  'problem': (string);
}
