/**
 * Peer authentication on a real node: who may call SyncService/Subscribe (only roster members,
 * each with a short-lived EdDSA token signed by its own node key, bound to this node and this
 * method), what happens to an open stream when the member is removed, and that the roster
 * itself (PeerService) is admin-only. Every hostile token is built by hand with node:crypto.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transport } from '../../../client/transport.js';
import { issuePeerToken } from '../../../shared/auth/peer-tokens.js';
import { issueToken } from '../../../shared/auth/tokens.js';
import { generateSigningKey, type SigningKey } from '../../../shared/crypto.js';
import { DtxError, type ErrorCode } from '../../../shared/errors.js';
import { SyncService, type SubscribeResponse } from '../../../shared/gen/dtx/v1/sync_service_pb.js';
import { nodeIdFromPublicKey } from '../../../shared/node-id.js';
import { SUBSCRIBE_METHOD } from '../../../server/sync/federation.js';
import { expectDtxError } from '../../_util/errors.js';
import { buildJwt } from '../../_util/jwt.js';
import { sampleInputs } from '../../_util/samples.js';
import { startTestNode, type TestNode } from '../../_util/test-node.js';

/** A node identity that exists only as a key: the subscriber side of these tests. */
interface Identity {
  key: SigningKey;
  id: string;
}

function identity(): Identity {
  const key = generateSigningKey();
  return { key, id: nodeIdFromPublicKey(key.publicKey) };
}

let server: TestNode;
let transport: Transport;
/** In the server's roster (allowed to subscribe, never dialled). */
let member: Identity;
/** Never added anywhere. */
let stranger: Identity;
/** Stands for another node: an audience that is not this server. */
let elsewhere: Identity;
let published: number;

beforeAll(async () => {
  // Short heartbeats: an idle stream still shows it is alive, and a cut one is seen quickly.
  server = await startTestNode({ name: 'peer-auth', overrides: { syncHeartbeatMs: 200 } });
  transport = new Transport({ address: server.node.grpcAddress });
  member = identity();
  stranger = identity();
  elsewhere = identity();
  // An unroutable url is fine: noSubscribe means the server never dials it.
  await server.client.addPeer({ id: member.id, url: '127.0.0.1:9', name: 'member', noSubscribe: true });
  published = (await server.client.publish(sampleInputs('peer-auth'))).length;
});

afterAll(async () => {
  transport?.close();
  await server?.stop();
});

const now = () => Math.floor(Date.now() / 1000);

/** The claims issuePeerToken would write for `who` calling Subscribe at the server, overridable. */
function peerClaims(who: Identity, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    method: SUBSCRIBE_METHOD,
    iss: who.id,
    sub: who.id,
    aud: server.node.nodeId,
    jti: randomUUID(),
    iat: now(),
    exp: now() + 120,
    ...overrides,
  };
  for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
  return claims;
}

const signedBy = (who: Identity, claims: Record<string, unknown>) => buildJwt({ alg: 'EdDSA', key: who.key.privateKeyObject }, claims);

/**
 * Subscribes with `token` and reads until the first caught_up message (bounded); returns what
 * came, or throws the DtxError the stream failed with. The call is cancelled afterwards.
 */
async function subscribeUntilCaughtUp(token: string | undefined): Promise<SubscribeResponse[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 15_000);
  const stream = transport.serverStream(SyncService.method.subscribe, { cursors: [] }, { token, signal: abort.signal });
  const messages: SubscribeResponse[] = [];
  try {
    for await (const message of stream) {
      messages.push(message);
      if (message.caughtUp) return messages;
    }
    throw new Error('the stream ended before caught_up');
  } finally {
    clearTimeout(timer);
    abort.abort();
    await stream.return(undefined);
  }
}

describe('Subscribe accepts a roster member', () => {
  it('with a token issuePeerToken made: the backfill arrives, then caught_up with the heads', async () => {
    const token = await issuePeerToken(member.key.privateKeyObject, member.id, server.node.nodeId, SUBSCRIBE_METHOD);
    const messages = await subscribeUntilCaughtUp(token);
    const entries = messages.flatMap((m) => m.entries);
    expect(entries).toHaveLength(published);
    const last = messages[messages.length - 1]!;
    expect(last.heads.map((h) => [h.origin, Number(h.seq)])).toEqual([[server.node.nodeId, published]]);
  });

  it('with a hand-built token of the same shape (so the builder used below is sound)', async () => {
    const messages = await subscribeUntilCaughtUp(signedBy(member, peerClaims(member)));
    expect(messages[messages.length - 1]!.caughtUp).toBe(true);
  });
});

/** Each builds a token Subscribe must refuse, and the code it must refuse it with. */
const HOSTILE: { name: string; code: ErrorCode; token: () => string | undefined | Promise<string | undefined> }[] = [
  { name: 'a valid peer token from a node not in the roster', code: 'PERMISSION_DENIED', token: () => issuePeerToken(stranger.key.privateKeyObject, stranger.id, server.node.nodeId, SUBSCRIBE_METHOD) },
  { name: 'no token', code: 'UNAUTHENTICATED', token: () => undefined },
  { name: 'garbage', code: 'UNAUTHENTICATED', token: () => 'garbage' },
  { name: 'three garbage segments', code: 'UNAUTHENTICATED', token: () => 'abc.def.ghi' },
  { name: 'expired an hour ago', code: 'UNAUTHENTICATED', token: () => signedBy(member, peerClaims(member, { iat: now() - 7200, exp: now() - 3600 })) },
  { name: 'unexpired but issued 11 minutes ago (beyond the 10 minute cap)', code: 'UNAUTHENTICATED', token: () => signedBy(member, peerClaims(member, { iat: now() - 660, exp: now() + 3600 })) },
  { name: 'issued an hour in the future', code: 'UNAUTHENTICATED', token: () => signedBy(member, peerClaims(member, { iat: now() + 3600, exp: now() + 3700 })) },
  { name: 'no exp', code: 'UNAUTHENTICATED', token: () => signedBy(member, peerClaims(member, { exp: undefined })) },
  { name: 'no iat', code: 'UNAUTHENTICATED', token: () => signedBy(member, peerClaims(member, { iat: undefined })) },
  {
    name: 'audience another node (issuePeerToken for elsewhere)',
    code: 'UNAUTHENTICATED',
    token: () => issuePeerToken(member.key.privateKeyObject, member.id, elsewhere.id, SUBSCRIBE_METHOD),
  },
  { name: 'no audience', code: 'UNAUTHENTICATED', token: () => signedBy(member, peerClaims(member, { aud: undefined })) },
  { name: 'alg none, unsigned', code: 'UNAUTHENTICATED', token: () => buildJwt({ alg: 'none' }, peerClaims(member)) },
  { name: 'alg EdDSA with an empty signature', code: 'UNAUTHENTICATED', token: () => buildJwt({ alg: 'none' }, peerClaims(member), { alg: 'EdDSA' }) },
  { name: 'HS256 keyed with the member public key bytes', code: 'UNAUTHENTICATED', token: () => buildJwt({ alg: 'HS256', secret: member.key.publicKey }, peerClaims(member)) },
  { name: 'HS256 keyed with the server public key bytes', code: 'UNAUTHENTICATED', token: () => buildJwt({ alg: 'HS256', secret: server.node.context.key.publicKey }, peerClaims(member)) },
  {
    name: 'HS256 keyed with the member public key PEM',
    code: 'UNAUTHENTICATED',
    token: () => buildJwt({ alg: 'HS256', secret: member.key.publicKeyObject.export({ format: 'pem', type: 'spki' }).toString() }, peerClaims(member)),
  },
  {
    name: 'bound to another method (ReadLog)',
    code: 'UNAUTHENTICATED',
    token: () => issuePeerToken(member.key.privateKeyObject, member.id, server.node.nodeId, '/dtx.v1.LogService/ReadLog'),
  },
  { name: 'no method claim', code: 'UNAUTHENTICATED', token: () => signedBy(member, peerClaims(member, { method: undefined })) },
  { name: 'claims to be the member, signed by a stranger key', code: 'UNAUTHENTICATED', token: () => signedBy(stranger, peerClaims(member)) },
  { name: 'claims to be the member, signed by the server key', code: 'UNAUTHENTICATED', token: () => buildJwt({ alg: 'EdDSA', key: server.node.context.key.privateKeyObject }, peerClaims(member)) },
  { name: 'subject another node than the issuer', code: 'UNAUTHENTICATED', token: () => signedBy(member, peerClaims(member, { sub: stranger.id })) },
  {
    name: 'embedded jwk of the stranger key, claiming to be the member',
    code: 'UNAUTHENTICATED',
    token: () => buildJwt({ alg: 'EdDSA', key: stranger.key.privateKeyObject }, peerClaims(member), { jwk: stranger.key.publicKeyObject.export({ format: 'jwk' }) }),
  },
  {
    name: 'the member token with its audience swapped after signing',
    code: 'UNAUTHENTICATED',
    token: async () => {
      const token = await issuePeerToken(member.key.privateKeyObject, member.id, elsewhere.id, SUBSCRIBE_METHOD);
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      return `${header}.${Buffer.from(JSON.stringify({ ...claims, aud: server.node.nodeId })).toString('base64url')}.${signature}`;
    },
  },
  { name: 'the node-issued admin API token', code: 'PERMISSION_DENIED', token: () => server.token },
  {
    name: 'a node-issued API token with role "peer" (not a member node token)',
    code: 'PERMISSION_DENIED',
    token: () => issueToken(server.node.context.key.privateKeyObject, server.node.nodeId, { role: 'peer', subject: member.id, ttlSeconds: 600 }),
  },
];

describe('Subscribe refuses', () => {
  it.each(HOSTILE)('$name: $code', async ({ token, code }) => {
    await expectDtxError(subscribeUntilCaughtUp(await token()), code);
  });
});

describe('removing a member', () => {
  it('cuts its open stream at once, and its next Subscribe is PERMISSION_DENIED', async () => {
    const peer = identity();
    await server.client.addPeer({ id: peer.id, url: '127.0.0.1:9', name: 'leaving', noSubscribe: true });
    const token = await issuePeerToken(peer.key.privateKeyObject, peer.id, server.node.nodeId, SUBSCRIBE_METHOD);

    const abort = new AbortController();
    const stream = transport.serverStream(SyncService.method.subscribe, { cursors: [] }, { token, signal: abort.signal });
    try {
      // Read up to caught_up: the stream is open and idle (heartbeats only).
      for (let i = 0; i < 100; i++) {
        const next = await stream.next();
        expect(next.done).toBe(false);
        if (!next.done && next.value.caughtUp) break;
      }
      await server.client.removePeer(peer.id);
      // Drain whatever was in flight; the stream must end by the server's doing, not by ours.
      const ended = (async (): Promise<{ how: 'end' } | { how: 'error'; error: unknown }> => {
        try {
          for (let i = 0; i < 1000; i++) if ((await stream.next()).done) return { how: 'end' };
          throw new Error('still streaming after 1000 messages');
        } catch (error) {
          return { how: 'error', error };
        }
      })();
      const outcome = await Promise.race([ended, sleep(10_000).then(() => 'still open' as const)]);
      expect(outcome).not.toBe('still open');
      expect(abort.signal.aborted).toBe(false);
    } finally {
      abort.abort();
      await stream.return(undefined);
    }

    const fresh = await issuePeerToken(peer.key.privateKeyObject, peer.id, server.node.nodeId, SUBSCRIBE_METHOD);
    await expectDtxError(subscribeUntilCaughtUp(fresh), 'PERMISSION_DENIED');
  });
});

describe('PeerService is admin-only', () => {
  /** One call per method, made one at a time (so no rejection goes unobserved). */
  const calls = (client: ReturnType<TestNode['clientWith']>, id: string): (() => Promise<unknown>)[] => [
    () => client.addPeer({ id, url: '127.0.0.1:9', noSubscribe: true }),
    () => client.removePeer(member.id),
    () => client.listPeers(),
    () => client.status(),
  ];

  async function rosterIds(): Promise<string[]> {
    return (await server.client.listPeers()).map((p) => p.id).sort();
  }

  it('an analyst token is PERMISSION_DENIED on every method, and the roster is unchanged', async () => {
    const before = await rosterIds();
    const analyst = server.clientWith(await issueToken(server.node.context.key.privateKeyObject, server.node.nodeId, { role: 'analyst', subject: 'a', ttlSeconds: 600 }));
    for (const call of calls(analyst, identity().id)) await expectDtxError(call(), 'PERMISSION_DENIED');
    expect(await rosterIds()).toEqual(before);
    expect(before).toContain(member.id);
  });

  it('no token is UNAUTHENTICATED on every method', async () => {
    const before = await rosterIds();
    for (const call of calls(server.clientWith(undefined), identity().id)) await expectDtxError(call(), 'UNAUTHENTICATED');
    expect(await rosterIds()).toEqual(before);
  });

  it("a member's peer token is no admin token: bound to a PeerService method it is PERMISSION_DENIED, bound to Subscribe UNAUTHENTICATED", async () => {
    const before = await rosterIds();
    const forList = await issuePeerToken(member.key.privateKeyObject, member.id, server.node.nodeId, '/dtx.v1.PeerService/ListPeers');
    await expectDtxError(server.clientWith(forList).listPeers(), 'PERMISSION_DENIED');
    const forAdd = await issuePeerToken(member.key.privateKeyObject, member.id, server.node.nodeId, '/dtx.v1.PeerService/AddPeer');
    await expectDtxError(server.clientWith(forAdd).addPeer({ id: identity().id, url: '127.0.0.1:9', noSubscribe: true }), 'PERMISSION_DENIED');
    const forSubscribe = await issuePeerToken(member.key.privateKeyObject, member.id, server.node.nodeId, SUBSCRIBE_METHOD);
    await expectDtxError(server.clientWith(forSubscribe).removePeer(member.id), 'UNAUTHENTICATED');
    expect(await rosterIds()).toEqual(before);
  });

  it('the admin token may manage the roster (the refusals above are about the token)', async () => {
    const extra = identity();
    const added = await server.client.addPeer({ id: extra.id, url: '127.0.0.1:9', noSubscribe: true });
    expect(added.created).toBe(true);
    expect(await rosterIds()).toContain(extra.id);
    await server.client.removePeer(extra.id);
    expect(await rosterIds()).not.toContain(extra.id);
  });
});

describe('Subscribe refuses a bad cursor vector from a member, naming the cursor', () => {
  async function firstError(cursors: { origin: string; epoch: number; seq: bigint; hash?: Uint8Array }[]): Promise<unknown> {
    const token = await issuePeerToken(member.key.privateKeyObject, member.id, server.node.nodeId, SUBSCRIBE_METHOD);
    const stream = transport.serverStream(SyncService.method.subscribe, { cursors }, { token });
    try {
      for await (const _ of stream) return undefined;
      return undefined;
    } catch (err) {
      return err;
    } finally {
      await stream.return(undefined);
    }
  }

  it.each([
    { name: 'an origin that is not a node id', cursors: () => [{ origin: 'dtx-not-a-node', epoch: 1, seq: 1n }], field: 'cursors[0].origin' },
    { name: 'the same origin twice', cursors: () => [{ origin: member.id, epoch: 1, seq: 1n }, { origin: member.id, epoch: 1, seq: 2n }], field: 'cursors[1].origin' },
    { name: 'a seq without an epoch', cursors: () => [{ origin: member.id, epoch: 0, seq: 5n }], field: 'cursors[0].epoch' },
    { name: 'a hash of the wrong size', cursors: () => [{ origin: member.id, epoch: 1, seq: 5n, hash: new Uint8Array(7) }], field: 'cursors[0].hash' },
    { name: 'too many cursors', cursors: () => Array.from({ length: 10_001 }, () => ({ origin: member.id, epoch: 1, seq: 1n })), field: 'cursors' },
  ])('$name: INVALID_ARGUMENT on $field', async ({ cursors, field }) => {
    const err = await firstError(cursors());
    expect(err).toBeInstanceOf(DtxError);
    expect((err as DtxError).code).toBe('INVALID_ARGUMENT');
    expect((err as DtxError).details?.field).toBe(field);
  });
});
