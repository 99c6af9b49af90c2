// The emulator's schema: the client's own, plus one NamespaceSpec field the client does not know, as the real API
// may have (its schema moves ahead of the one bundled with @temporalio/proto). A client that decodes the spec and
// sends it back drops that field; the emulator records whether it came back.
import proto from '@temporalio/proto';
import protobuf from 'protobufjs';

/** The field only the emulator knows: its name, number and the value every namespace is seeded with. */
export const PROBE_FIELD = { name: 'emulatorProbe', id: 999, value: 'a field newer than the client schema' } as const;

const SERVICE_NAME = 'temporal.api.cloud.cloudservice.v1.CloudService';

export interface EmulatorSchema {
  service: protobuf.Service;
  namespaceSpec: protobuf.Type;
}

let schema: EmulatorSchema | null = null;

/** Built once per process, on a copy of the client's schema so that the client never learns the extra field. */
export function emulatorSchema(): EmulatorSchema {
  if (schema) return schema;
  const root = protobuf.Root.fromJSON((proto as unknown as protobuf.Root).toJSON());
  const namespaceSpec = root.lookupType('temporal.api.cloud.namespace.v1.NamespaceSpec');
  namespaceSpec.add(new protobuf.Field(PROBE_FIELD.name, PROBE_FIELD.id, 'string'));
  root.resolveAll();
  schema = { service: root.lookupService(SERVICE_NAME), namespaceSpec };
  return schema;
}

/** How the emulator turns a decoded message into a plain object: numbers for enums and longs, base64 for bytes. */
export const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, bytes: String, defaults: false };
