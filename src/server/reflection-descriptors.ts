/**
 * Repairs the file descriptors served by reflection. protobufjs (which @grpc/proto-loader uses)
 * names a map field's entry type after the field ("Fields") instead of protoc's "FieldsEntry", and
 * strict descriptor pools (Python's protobuf, grpcurl) refuse such a file ("map_entry should not
 * be set explicitly"). Renaming the entry types the way protoc does makes the served descriptors
 * what protoc would have produced, so reflection-based clients in any language can call grove.
 */
import type { PackageDefinition } from '@grpc/proto-loader';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface DescriptorType {
  decode(b: Uint8Array): unknown;
  encode(m: unknown): { finish(): Uint8Array };
  fromObject(o: unknown): unknown;
  toObject(m: unknown): unknown;
}

interface FieldProto {
  name: string;
  label?: number | string;
  typeName?: string;
}
interface MessageProto {
  name: string;
  field?: FieldProto[];
  nestedType?: MessageProto[];
  options?: { mapEntry?: boolean };
}
interface FileProto {
  messageType?: MessageProto[];
}

/** protoc's entry name: foo_bar -> FooBarEntry. */
function entryName(field: string): string {
  return field.replace(/(^|_)([a-z0-9])/g, (_m, _u, c: string) => c.toUpperCase()) + 'Entry';
}

function fixMessage(m: MessageProto): boolean {
  let changed = false;
  for (const nested of m.nestedType ?? []) {
    if (fixMessage(nested)) changed = true;
    if (!nested.options?.mapEntry) continue;
    const field = (m.field ?? []).find((f) => f.typeName === nested.name || f.typeName?.endsWith(`.${nested.name}`));
    if (!field) continue;
    const want = entryName(field.name);
    if (nested.name === want) continue;
    field.typeName = field.typeName!.slice(0, field.typeName!.length - nested.name.length) + want;
    nested.name = want;
    changed = true;
  }
  return changed;
}

/** Rewrites every fileDescriptorProtos buffer of the package definition in place. */
export function fixMapEntryDescriptors(def: PackageDefinition): PackageDefinition {
  const { FileDescriptorProto } = require('protobufjs/ext/descriptor') as { FileDescriptorProto: DescriptorType };
  const cache = new Map<string, Buffer>();
  for (const entry of Object.values(def)) {
    const protos = (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos;
    if (!protos) continue;
    for (let i = 0; i < protos.length; i++) {
      const key = protos[i].toString('base64');
      let fixed = cache.get(key);
      if (!fixed) {
        const file = FileDescriptorProto.toObject(FileDescriptorProto.decode(protos[i])) as FileProto;
        let changed = false;
        for (const m of file.messageType ?? []) if (fixMessage(m)) changed = true;
        fixed = changed ? Buffer.from(FileDescriptorProto.encode(FileDescriptorProto.fromObject(file)).finish()) : protos[i];
        cache.set(key, fixed);
      }
      protos[i] = fixed;
    }
  }
  return def;
}
