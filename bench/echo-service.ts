/** The one-method service of the bare echo server: raw bytes in, the same bytes out. */
import type { ServiceDefinition } from '@grpc/grpc-js';

const same = (bytes: Buffer): Buffer => bytes;

export const ECHO_SERVICE: ServiceDefinition = {
  echo: {
    path: '/bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
  },
};
