// Original file: proto/grove/v1/model.proto

import type { ShadowAction as _grove_v1_ShadowAction, ShadowAction__Output as _grove_v1_ShadowAction__Output } from '../../grove/v1/ShadowAction.js';

export interface SetRoutingRequest {
  'model'?: (string);
  /**
   * Who asks (recorded in the audit log), e.g. a user name or a deploy job id.
   */
  'actor'?: (string);
  /**
   * The version that becomes the candidate (it gets no traffic until shadow or canary).
   */
  'candidate'?: (number);
  'shadow'?: (_grove_v1_ShadowAction | null);
  /**
   * Canary share of unpinned traffic, percent in [0, 100].
   */
  'canary'?: (number | string);
  /**
   * Candidate becomes live; the previous live stays loaded as the rollback target.
   */
  'promote'?: (boolean);
  /**
   * Back to the previous live version in one call (or, with no previous live, candidate traffic off).
   */
  'rollback'?: (boolean);
  /**
   * The candidate gets no traffic.
   */
  'off'?: (boolean);
  'action'?: "candidate"|"shadow"|"canary"|"promote"|"rollback"|"off";
}

export interface SetRoutingRequest__Output {
  'model': (string);
  /**
   * Who asks (recorded in the audit log), e.g. a user name or a deploy job id.
   */
  'actor': (string);
  /**
   * The version that becomes the candidate (it gets no traffic until shadow or canary).
   */
  'candidate'?: (number);
  'shadow'?: (_grove_v1_ShadowAction__Output | null);
  /**
   * Canary share of unpinned traffic, percent in [0, 100].
   */
  'canary'?: (number);
  /**
   * Candidate becomes live; the previous live stays loaded as the rollback target.
   */
  'promote'?: (boolean);
  /**
   * Back to the previous live version in one call (or, with no previous live, candidate traffic off).
   */
  'rollback'?: (boolean);
  /**
   * The candidate gets no traffic.
   */
  'off'?: (boolean);
  'action'?: "candidate"|"shadow"|"canary"|"promote"|"rollback"|"off";
}
