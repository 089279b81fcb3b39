// Original file: proto/grove/v1/model.proto


export interface AuditRecord {
  'at'?: (string);
  'actor'?: (string);
  'action'?: (string);
  'from'?: (string);
  'to'?: (string);
}

export interface AuditRecord__Output {
  'at': (string);
  'actor': (string);
  'action': (string);
  'from': (string);
  'to': (string);
}
