/**
 * Hand-built JWTs for hostile-token tests, with node:crypto only (jose stays in shared/auth):
 * any header and claims, signed with EdDSA, HMAC-SHA-256, or not at all.
 */
import { createHmac, randomUUID, sign, type KeyObject } from 'node:crypto';

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export type Signer = { alg: 'EdDSA'; key: KeyObject } | { alg: 'HS256'; secret: Uint8Array | string } | { alg: 'none' };

/** Standard claims of a DTX token for `nodeId`, overridable; undefined values are dropped. */
export function claimsFor(nodeId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { role: 'admin', iss: nodeId, aud: nodeId, sub: 'tester', jti: randomUUID(), iat: now, ...overrides };
  for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
  return claims;
}

export function buildJwt(signer: Signer, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const signingInput = `${b64url({ alg: signer.alg, typ: 'JWT', ...header })}.${b64url(claims)}`;
  switch (signer.alg) {
    case 'EdDSA':
      return `${signingInput}.${sign(null, Buffer.from(signingInput), signer.key).toString('base64url')}`;
    case 'HS256':
      return `${signingInput}.${createHmac('sha256', signer.secret).update(signingInput).digest('base64url')}`;
    case 'none':
      return `${signingInput}.`;
  }
}
