/**
 * API tokens: EdDSA JWTs signed by the node key (jose is used here and nowhere else).
 * A token is valid only at the node that issued it: issuer and audience are both its node id.
 * Verification fails closed: anything but a well-formed EdDSA JWT signed by this node, unexpired,
 * with a known role, is UNAUTHENTICATED.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { DtxError } from '../errors.js';

export const ROLES = ['admin', 'publisher', 'analyst', 'importer', 'peer'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenClaims {
  role: Role;
  subject: string;
  tokenId: string;
  expiresAt?: number;
  /** Set for a member node's peer token (shared/auth/peer-tokens.ts); subject is its node id. */
  member?: boolean;
}

export interface IssueTokenOptions {
  role: Role;
  subject: string;
  /** Lifetime in seconds; omitted means no expiry (the admin token made by `dtx init`). */
  ttlSeconds?: number;
}

export async function issueToken(privateKey: KeyObject, nodeId: string, options: IssueTokenOptions): Promise<string> {
  const jwt = new SignJWT({ role: options.role })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(nodeId)
    .setAudience(nodeId)
    .setSubject(options.subject)
    .setJti(randomUUID())
    .setIssuedAt();
  if (options.ttlSeconds !== undefined) jwt.setExpirationTime(`${options.ttlSeconds}s`);
  return jwt.sign(privateKey);
}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** A one-line reason for a failed JWT verification; never echoes the token. */
export function tokenFailureReason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `token claim "${err.claim}" is not valid here`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed (EdDSA only)';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature does not verify';
  return 'token is malformed';
}

export async function verifyToken(token: string, publicKey: KeyObject, nodeId: string): Promise<TokenClaims> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, publicKey, { algorithms: ['EdDSA'], issuer: nodeId, audience: nodeId }));
  } catch (err) {
    throw new DtxError('UNAUTHENTICATED', tokenFailureReason(err));
  }
  if (!isRole(payload.role)) throw new DtxError('UNAUTHENTICATED', 'token has no valid role');
  if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string') {
    throw new DtxError('UNAUTHENTICATED', 'token lacks a subject or id');
  }
  return { role: payload.role, subject: payload.sub, tokenId: payload.jti, expiresAt: payload.exp };
}
