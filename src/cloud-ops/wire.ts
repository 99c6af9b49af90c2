// Protobuf wire surgery: our schema may be older than the API's, and decoding drops the fields it does not know.
// A spec read and written back as bytes keeps them; only the field we own (capacity_spec) is replaced.
import protobuf from 'protobufjs';

const LENGTH_DELIMITED = 2;

interface WireField {
  id: number;
  /** Where the field starts (its tag) and ends, in the message's bytes. */
  start: number;
  end: number;
  /** The content of a length-delimited field (a sub-message's bytes), without tag and length. */
  content: Uint8Array | null;
}

function fieldsOf(message: Uint8Array): WireField[] {
  const reader = protobuf.Reader.create(message);
  const fields: WireField[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const wireType = tag & 7;
    let content: Uint8Array | null = null;
    if (wireType === LENGTH_DELIMITED) content = reader.bytes();
    else reader.skipType(wireType);
    fields.push({ id: tag >>> 3, start, end: reader.pos, content });
  }
  return fields;
}

/** The bytes of sub-message field `id` (several occurrences merge, as protobuf says); null when absent. */
export function subMessage(message: Uint8Array, id: number): Uint8Array | null {
  const parts = fieldsOf(message).filter((f) => f.id === id && f.content !== null);
  if (parts.length === 0) return null;
  return Buffer.concat(parts.map((p) => p.content as Uint8Array));
}

/** The message with every occurrence of field `id` replaced by one sub-message field holding `content`. */
export function withSubMessage(message: Uint8Array, id: number, content: Uint8Array): Uint8Array {
  const kept = fieldsOf(message)
    .filter((f) => f.id !== id)
    .map((f) => message.subarray(f.start, f.end));
  const field = protobuf.Writer.create()
    .uint32((id << 3) | LENGTH_DELIMITED)
    .bytes(content)
    .finish();
  return Buffer.concat([...kept, field]);
}
