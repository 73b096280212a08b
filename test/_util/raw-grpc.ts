/**
 * Hand-written clients for the standard gRPC services a node also serves, the way a generic
 * tool (grpc_health_probe, grpcurl) would call them: grpc.health.v1.Health/Check and
 * grpc.reflection.v1.ServerReflection/ServerReflectionInfo. The few messages involved are
 * encoded field by field with @bufbuild/protobuf's wire helpers; no .proto is loaded.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Client, credentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export const SERVING_STATUS = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;

export class RawGrpcClient {
  private readonly client: Client;

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  close(): void {
    this.client.close();
  }

  /** Health/Check for `service` ('' = the whole server): the status number, or a ServiceError. */
  healthCheck(service: string): Promise<number> {
    const encode = (s: string) => Buffer.from(new BinaryWriter().tag(1, WireType.LengthDelimited).string(s).finish());
    const decode = (bytes: Buffer): number => {
      const reader = new BinaryReader(bytes);
      let status = 0;
      while (reader.pos < reader.len) {
        const [field, wire] = reader.tag();
        if (field === 1 && wire === WireType.Varint) status = reader.int32();
        else reader.skip(wire, field);
      }
      return status;
    };
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        encode,
        decode,
        service,
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        (err: ServiceError | null, status?: number) => (err ? reject(err) : resolve(status!)),
      );
    });
  }

  /** Any unary method with a request given as bytes, as a client with another encoder might send it. */
  unaryBytes(path: string, request: Uint8Array, token?: string): Promise<Buffer> {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        (bytes: Uint8Array) => Buffer.from(bytes),
        (bytes: Buffer) => bytes,
        request,
        metadata,
        { deadline: Date.now() + 10_000 },
        (err: ServiceError | null, response?: Buffer) => (err ? reject(err) : resolve(response!)),
      );
    });
  }

  /** A bidi stream of any method, messages as bytes both ways (no deadline): for streams a test drives by hand. */
  duplexBytes(path: string, token?: string): ClientDuplexStream<Uint8Array, Buffer> {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return this.client.makeBidiStreamRequest(path, (bytes: Uint8Array) => Buffer.from(bytes), (bytes: Buffer) => bytes, metadata, {});
  }

  /** Sends the reflection requests on one bidi stream and collects one response per request. */
  reflect(requests: ReflectionRequest[]): Promise<ReflectionResponse[]> {
    const call = this.client.makeBidiStreamRequest(
      '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
      encodeReflectionRequest,
      decodeReflectionResponse,
      new Metadata(),
      { deadline: Date.now() + 10_000 },
    );
    return new Promise((resolve, reject) => {
      const responses: ReflectionResponse[] = [];
      call.on('data', (r: ReflectionResponse) => responses.push(r));
      call.on('error', reject);
      call.on('end', () => resolve(responses));
      for (const request of requests) call.write(request);
      call.end();
    });
  }
}

/** ServerReflectionRequest: one of list_services (7), file_containing_symbol (4), file_by_filename (3). */
export type ReflectionRequest = { listServices: string } | { fileContainingSymbol: string } | { fileByFilename: string };

export interface ReflectionResponse {
  services?: string[];
  fileDescriptorProtos?: Uint8Array[];
  error?: { code: number; message: string };
}

function encodeReflectionRequest(request: ReflectionRequest): Buffer {
  const w = new BinaryWriter();
  if ('listServices' in request) w.tag(7, WireType.LengthDelimited).string(request.listServices);
  else if ('fileContainingSymbol' in request) w.tag(4, WireType.LengthDelimited).string(request.fileContainingSymbol);
  else w.tag(3, WireType.LengthDelimited).string(request.fileByFilename);
  return Buffer.from(w.finish());
}

/** Calls `onField` for each field of a message; unhandled fields are skipped. */
function fields(bytes: Uint8Array, onField: (field: number, wire: WireType, reader: BinaryReader) => boolean): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (!onField(field, wire, reader)) reader.skip(wire, field);
  }
}

function decodeReflectionResponse(bytes: Buffer): ReflectionResponse {
  const out: ReflectionResponse = {};
  fields(bytes, (field, wire, reader) => {
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 6) {
      // ListServiceResponse { repeated ServiceResponse service = 1 { string name = 1 } }
      out.services ??= [];
      fields(reader.bytes(), (f, wt, r) => {
        if (f !== 1 || wt !== WireType.LengthDelimited) return false;
        fields(r.bytes(), (nf, nwt, nr) => {
          if (nf !== 1 || nwt !== WireType.LengthDelimited) return false;
          out.services!.push(nr.string());
          return true;
        });
        return true;
      });
      return true;
    }
    if (field === 4) {
      // FileDescriptorResponse { repeated bytes file_descriptor_proto = 1 }
      out.fileDescriptorProtos ??= [];
      fields(reader.bytes(), (f, wt, r) => {
        if (f !== 1 || wt !== WireType.LengthDelimited) return false;
        out.fileDescriptorProtos!.push(r.bytes());
        return true;
      });
      return true;
    }
    if (field === 7) {
      // ErrorResponse { int32 error_code = 1; string error_message = 2 }
      const error = { code: 0, message: '' };
      fields(reader.bytes(), (f, wt, r) => {
        if (f === 1 && wt === WireType.Varint) error.code = r.int32();
        else if (f === 2 && wt === WireType.LengthDelimited) error.message = r.string();
        else return false;
        return true;
      });
      out.error = error;
      return true;
    }
    return false;
  });
  return out;
}
