// Original file: proto/grove/v1/model.proto


export interface ReloadResult {
  'model'?: (string);
  'version'?: (number);
  /**
   * loaded | unchanged | failed | unloaded
   */
  'outcome'?: (string);
  'reason'?: (string);
}

export interface ReloadResult__Output {
  'model': (string);
  'version': (number);
  /**
   * loaded | unchanged | failed | unloaded
   */
  'outcome': (string);
  'reason': (string);
}
