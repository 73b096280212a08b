/**
 * Peer tokens: how one member node proves itself to another. The subscriber signs a short-lived
 * EdDSA JWT with its own node key: issuer and subject its node id, audience the server's node id,
 * and a "method" claim binding it to one RPC, so a token captured for one call or one server is
 * useless elsewhere. Node ids are self-certifying, so the issuer's id yields the key to verify
 * with; whether that node may call at all is the roster's decision, made after verification.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, decodeJwt, jwtVerify } from 'jose';
import { publicKeyObject } from '../crypto.js';
import { DtxError } from '../errors.js';
import { publicKeyFromNodeId } from '../node-id.js';
import { tokenFailureReason } from './tokens.js';

/** Long enough for clock skew between labs, short enough that a leaked token soon expires. */
export const PEER_TOKEN_TTL_SECONDS = 120;
/** A token claiming a longer life than this is refused, whatever its exp says. */
const MAX_PEER_TOKEN_AGE = '10m';

export async function issuePeerToken(privateKey: KeyObject, issuerNodeId: string, audienceNodeId: string, method: string): Promise<string> {
  return new SignJWT({ method })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(issuerNodeId)
    .setSubject(issuerNodeId)
    .setAudience(audienceNodeId)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${PEER_TOKEN_TTL_SECONDS}s`)
    .sign(privateKey);
}

/** The unverified issuer, only to route a token to the right check. Never trust it alone. */
export function tokenIssuer(token: string): string | undefined {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies a peer token for `method` at the node `audienceNodeId`; returns the caller's node id. */
export async function verifyPeerToken(token: string, audienceNodeId: string, method: string): Promise<string> {
  const issuer = tokenIssuer(token);
  if (!issuer) throw new DtxError('UNAUTHENTICATED', 'token is malformed');
  let key: KeyObject;
  try {
    key = publicKeyObject(publicKeyFromNodeId(issuer, 'token issuer'));
  } catch {
    throw new DtxError('UNAUTHENTICATED', 'token issuer is not a DTX node id');
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['EdDSA'],
      issuer,
      subject: issuer,
      audience: audienceNodeId,
      requiredClaims: ['exp', 'iat'],
      maxTokenAge: MAX_PEER_TOKEN_AGE,
    }));
  } catch (err) {
    throw new DtxError('UNAUTHENTICATED', tokenFailureReason(err));
  }
  if (payload.method !== method) throw new DtxError('UNAUTHENTICATED', `token is bound to another method, not ${method}`);
  return issuer;
}
