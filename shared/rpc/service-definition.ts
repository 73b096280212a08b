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

/**
 * A request that did not decode, in place of the message. grpc-js answers a decoder that
 * throws with INTERNAL, which tells a client it is the server's fault; the server's handlers
 * get this instead and answer INVALID_ARGUMENT (server/rpc/register.ts).
 */
export class MalformedRequest {
  constructor(
    readonly typeName: string,
    readonly reason: string,
  ) {}
}

/** The server's definition: hand-written decoders where given, and MalformedRequest for requests that do not decode. */
export function grpcServerDefinition(service: DescService, readers: RequestReaders = {}): ServiceDefinition {
  const base = grpcServiceDefinition(service);
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const name = method.localName;
    const read = readers[name] ?? base[name]!.requestDeserialize;
    definition[name] = {
      ...base[name]!,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return read(bytes);
        } catch (err) {
          return new MalformedRequest(method.input.typeName, (err as Error).message);
        }
      },
    };
  }
  for (const name of Object.keys(readers)) if (!definition[name]) throw new Error(`${service.typeName} has no method ${name}`);
  return definition;
}

export function grpcServiceDefinition(service: DescService): ServiceDefinition {
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
