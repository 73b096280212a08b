/**
 * The grpc-js adapter: turns a protobuf-es service descriptor into a grpc-js ServiceDefinition,
 * so the server and the client share one set of paths and (de)serialisers and no .proto
 * loading happens at run time.
 */
import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/**
 * Messages are usually protobuf-es objects. Hot paths may hand over bytes they encoded
 * themselves (see shared/wire); those pass through untouched.
 */
function serializer<M extends DescMessage>(schema: M): (message: MessageShape<M> | Uint8Array) => Buffer {
  return (message) => {
    const bytes = message instanceof Uint8Array ? message : toBinary(schema, message);
    // Wrap, do not copy: responses can be tens of megabytes during log reads.
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer<M extends DescMessage>(schema: M): (bytes: Buffer) => MessageShape<M> {
  return (bytes) => fromBinary(schema, bytes);
}

const cache = new WeakMap<DescService, ServiceDefinition>();

/** Hand-written request decoders for hot methods, by method local name (see shared/wire). */
export type RequestReaders = Record<string, (bytes: Buffer) => unknown>;

export function grpcServiceDefinition(service: DescService, readers?: RequestReaders): ServiceDefinition {
  if (readers) {
    const base = grpcServiceDefinition(service);
    const definition: Record<string, MethodDefinition<unknown, unknown>> = { ...base };
    for (const [name, read] of Object.entries(readers)) {
      const method = base[name];
      if (!method) throw new Error(`${service.typeName} has no method ${name}`);
      definition[name] = { ...method, requestDeserialize: read };
    }
    return definition;
  }
  const cached = cache.get(service);
  if (cached) return cached;
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: serializer(method.input) as (value: unknown) => Buffer,
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output) as (value: unknown) => Buffer,
      responseDeserialize: deserializer(method.output),
    };
  }
  cache.set(service, definition);
  return definition;
}
