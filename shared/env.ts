/**
 * The one place that reads process.env. Everything else receives these values as arguments,
 * which keeps configuration precedence (flags > env > config file > defaults) explicit and
 * testable.
 */
export interface DtxEnv {
  /** Data directory of the local node. */
  data?: string;
  /** Address of the node a client command talks to (HOST:PORT). */
  node?: string;
  /** Bearer token for client commands. */
  token?: string;
  /** Node name, gRPC and HTTP listen addresses for init/start. */
  name?: string;
  grpc?: string;
  http?: string;
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  logLevel?: string;
  /** Crypto backend: auto, native or portable (shared/sodium-native.ts). */
  crypto?: string;
  /** The node's TLS certificate chain and private key (PEM files) for its gRPC port. */
  tlsCert?: string;
  tlsKey?: string;
  /** PEM certificates to trust for https:// nodes (peers, or the node a client command dials). */
  tlsCa?: string;
}

function value(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

export function readEnv(): DtxEnv {
  return {
    data: value('DTX_DATA'),
    node: value('DTX_NODE'),
    token: value('DTX_TOKEN'),
    name: value('DTX_NAME'),
    grpc: value('DTX_GRPC'),
    http: value('DTX_HTTP'),
    logLevel: value('DTX_LOG_LEVEL'),
    crypto: value('DTX_CRYPTO'),
    tlsCert: value('DTX_TLS_CERT'),
    tlsKey: value('DTX_TLS_KEY'),
    tlsCa: value('DTX_TLS_CA'),
  };
}
