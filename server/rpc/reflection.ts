/**
 * gRPC server reflection (via @grpc/reflection), so grpcurl and similar tools work without the
 * .proto files. @grpc/reflection reads serialized FileDescriptorProtos from a proto-loader
 * style package definition; the generated protobuf-es descriptors already hold them, so no
 * .proto file is loaded at run time.
 */
import { toBinary, type DescFile } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ReflectionService } from '@grpc/reflection';
import type { Server } from '@grpc/grpc-js';

function collect(file: DescFile, out: Map<string, DescFile>): void {
  if (out.has(file.proto.name)) return;
  out.set(file.proto.name, file);
  for (const dependency of file.dependencies) collect(dependency, out);
}

export function addReflection(server: Server, files: readonly DescFile[]): void {
  const all = new Map<string, DescFile>();
  for (const file of files) collect(file, all);
  const fileDescriptorProtos = [...all.values()].map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)));
  const packageDefinition = { 'dtx.v1': { fileDescriptorProtos } };
  new ReflectionService(packageDefinition as unknown as ConstructorParameters<typeof ReflectionService>[0]).addToServer(server);
}
