// Original file: proto/grove/v1/model.proto


export interface ReloadRequest {
  /**
   * Empty: every model.
   */
  'model'?: (string);
  /**
   * 0: every version of `model`.
   */
  'version'?: (number);
}

export interface ReloadRequest__Output {
  /**
   * Empty: every model.
   */
  'model': (string);
  /**
   * 0: every version of `model`.
   */
  'version': (number);
}
