/**
 * The node's TLS material, read and checked once at start so that a wrong file stops the node
 * with a message naming it, instead of failing each connection later: the certificate chain
 * and private key of its gRPC port (both or neither), and the roots it trusts when it dials
 * https:// peers. The private key must not be readable by other users, as for ssh.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { DtxError } from '../../shared/errors.js';
import type { NodeConfig } from './config.js';

export interface ServerTls {
  certChain: Buffer;
  privateKey: Buffer;
  /** Absolute paths, for node.json: a local command reaching this node checks the same certificate. */
  certFile: string;
  /** Watched for renewals with the certificate (server/rpc/tls-reload.ts). */
  keyFile: string;
  /** The name the certificate is for (its first DNS name, else its common name). */
  serverName: string | undefined;
}

export interface NodeTls {
  /** Undefined: the gRPC port speaks plain text. */
  server: ServerTls | undefined;
  /** Roots for https:// peers; undefined: the system's. */
  roots: Buffer | undefined;
  rootsFile: string | undefined;
}

function invalid(field: string, message: string): DtxError {
  return new DtxError('CONFIG_INVALID', `${field}: ${message}`, { details: { field } });
}

function readPem(dir: string, file: string, field: string): { path: string; bytes: Buffer } {
  const path = isAbsolute(file) ? file : resolve(dir, file);
  try {
    return { path, bytes: readFileSync(path) };
  } catch (err) {
    throw invalid(field, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function certificate(pem: Buffer, path: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw invalid(field, `${path} holds no PEM certificate`);
  }
}

/** The certificate's first DNS name, else its common name. */
export function certificateName(cert: X509Certificate): string | undefined {
  const dns = cert.subjectAltName?.split(', ').find((name) => name.startsWith('DNS:'));
  if (dns) return dns.slice('DNS:'.length);
  return /^CN=(.+)$/m.exec(cert.subject)?.[1];
}

/** The roots for https:// peers (tlsCa), checked: a readable file holding a PEM certificate. */
export function loadTlsRoots(config: Pick<NodeConfig, 'tlsCa'>, dir: string): Pick<NodeTls, 'roots' | 'rootsFile'> {
  if (!config.tlsCa) return { roots: undefined, rootsFile: undefined };
  const { path, bytes } = readPem(dir, config.tlsCa, 'tlsCa');
  certificate(bytes, path, 'tlsCa');
  return { roots: bytes, rootsFile: path };
}

export function loadNodeTls(config: Pick<NodeConfig, 'tlsCert' | 'tlsKey' | 'tlsCa'>, dir: string): NodeTls {
  const { roots, rootsFile } = loadTlsRoots(config, dir);
  if (!config.tlsCert !== !config.tlsKey) {
    throw invalid(config.tlsCert ? 'tlsKey' : 'tlsCert', 'tlsCert and tlsKey go together: set both (the certificate chain and its private key, PEM) or neither');
  }
  if (!config.tlsCert || !config.tlsKey) return { server: undefined, roots, rootsFile };

  const cert = readPem(dir, config.tlsCert, 'tlsCert');
  const key = readPem(dir, config.tlsKey, 'tlsKey');
  const mode = statSync(key.path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw invalid('tlsKey', `${key.path} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 ${key.path}`);
  }
  const x509 = certificate(cert.bytes, cert.path, 'tlsCert');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key.bytes);
  } catch {
    throw invalid('tlsKey', `${key.path} holds no PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw invalid('tlsKey', `${key.path} is not the private key of the certificate in ${cert.path}`);
  return {
    server: { certChain: cert.bytes, privateKey: key.bytes, certFile: cert.path, keyFile: key.path, serverName: certificateName(x509) },
    roots,
    rootsFile,
  };
}
