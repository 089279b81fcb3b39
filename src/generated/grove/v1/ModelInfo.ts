// Original file: proto/grove/v1/model.proto

import type { VersionInfo as _grove_v1_VersionInfo, VersionInfo__Output as _grove_v1_VersionInfo__Output } from '../../grove/v1/VersionInfo.js';
import type { RoutingInfo as _grove_v1_RoutingInfo, RoutingInfo__Output as _grove_v1_RoutingInfo__Output } from '../../grove/v1/RoutingInfo.js';

export interface ModelInfo {
  'name'?: (string);
  'versions'?: (_grove_v1_VersionInfo)[];
  'labels'?: ({[key: string]: number});
  /**
   * Problems that do not stop serving, e.g. a label pointing at a version that failed to load.
   */
  'problems'?: (string)[];
  /**
   * Version answering unpinned requests (0 when none is ready).
   */
  'default_version'?: (number);
  'routing'?: (_grove_v1_RoutingInfo | null);
}

export interface ModelInfo__Output {
  'name': (string);
  'versions': (_grove_v1_VersionInfo__Output)[];
  'labels': ({[key: string]: number});
  /**
   * Problems that do not stop serving, e.g. a label pointing at a version that failed to load.
   */
  'problems': (string)[];
  /**
   * Version answering unpinned requests (0 when none is ready).
   */
  'default_version': (number);
  'routing': (_grove_v1_RoutingInfo__Output | null);
}
