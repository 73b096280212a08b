/**
 * Bearer-token authentication for gRPC calls. Two kinds of token arrive:
 * - API tokens this node issued (admin, publisher, ...). Verified tokens are cached briefly
 *   (verifying an EdDSA signature costs about 80 microseconds, more than a lookup), keyed by the
 *   whole token.
 * - Peer tokens another member node signed for one method here (shared/auth/peer-tokens.ts).
 *   Never cached: the roster is checked at every call, so removing a peer takes effect at once.
 */
import type { KeyObject } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { tokenIssuer, verifyPeerToken } from '../../shared/auth/peer-tokens.js';
import { verifyToken, type Role, type TokenClaims } from '../../shared/auth/tokens.js';
import { DtxError } from '../../shared/errors.js';

const CACHE_LIMIT = 10_000;
const CACHE_TTL_MS = 60_000;

export class Authenticator {
  private readonly cache = new Map<string, { claims: TokenClaims; until: number }>();

  constructor(
    private readonly publicKey: KeyObject,
    private readonly nodeId: string,
    /** Whether a node id is in this node's roster (peer tokens only). */
    private readonly isMember: (nodeId: string) => boolean = () => false,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `method` is the full gRPC path; peer tokens must be bound to it. */
  async authenticate(metadata: Metadata, method: string): Promise<TokenClaims> {
    const header = metadata.get('authorization')[0];
    if (typeof header !== 'string' || header.length === 0) {
      throw new DtxError('UNAUTHENTICATED', 'this call needs a token: send "authorization: Bearer <token>" (dtx uses --token, DTX_TOKEN or --data)');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new DtxError('UNAUTHENTICATED', 'authorization metadata must be "Bearer <token>"');
    const token = match[1]!;
    const now = this.clock();
    // Cached API tokens first: decoding the token to route it cost more than the lookup it guards.
    const cached = this.cache.get(token);
    if (cached && cached.until > now) return cached.claims;
    const issuer = tokenIssuer(token);
    if (issuer !== undefined && issuer !== this.nodeId) return this.authenticatePeer(token, method);
    const claims = await verifyToken(token, this.publicKey, this.nodeId);
    const expiresMs = claims.expiresAt === undefined ? Infinity : claims.expiresAt * 1000;
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(token, { claims, until: Math.min(now + CACHE_TTL_MS, expiresMs) });
    return claims;
  }

  private async authenticatePeer(token: string, method: string): Promise<TokenClaims> {
    const peer = await verifyPeerToken(token, this.nodeId, method);
    if (!this.isMember(peer)) throw new DtxError('PERMISSION_DENIED', `node ${peer} is not in this node's roster (dtx peer add)`);
    return { role: 'peer', subject: peer, tokenId: '', member: true };
  }
}

/** `allowed` "member" admits only peer tokens of roster members (the caller is then a node). */
export function authorize(claims: TokenClaims, allowed: readonly Role[] | 'member', what: string): void {
  if (allowed === 'member') {
    if (!claims.member) throw new DtxError('PERMISSION_DENIED', `only member nodes may ${what}, with a peer token signed by their node key`);
    return;
  }
  if (!allowed.includes(claims.role)) {
    throw new DtxError('PERMISSION_DENIED', `role "${claims.role}" may not ${what} (needs ${allowed.join(' or ')})`);
  }
}
