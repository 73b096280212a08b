/**
 * Authentication and roles over real gRPC: hostile tokens are UNAUTHENTICATED and store
 * nothing; valid tokens with the wrong role are PERMISSION_DENIED; node info is public.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxClient } from '../../client/index.js';
import { issueToken, type Role } from '../../shared/auth/tokens.js';
import { generateSigningKey, type SigningKey } from '../../shared/crypto.js';
import { RetractReason } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { collect, expectDtxError } from '../_util/errors.js';
import { buildJwt, claimsFor } from '../_util/jwt.js';
import { emailInput, hex64 } from '../_util/samples.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';

let t: TestNode;
let nodeKey: SigningKey;
let nodeId: string;
let otherKey: SigningKey;
let otherId: string;
let existingId: string;

beforeAll(async () => {
  t = await startTestNode({ name: 'auth' });
  nodeKey = t.node.context.key;
  nodeId = t.node.nodeId;
  otherKey = generateSigningKey();
  otherId = nodeIdFromPublicKey(otherKey.publicKey);
  const [item] = await t.client.publish([emailInput('existing')]);
  existingId = item!.id;
});

afterAll(async () => {
  await t?.stop();
});

async function stored(): Promise<{ ownEntries: bigint; head: bigint | undefined }> {
  const info = await t.client.nodeInfo();
  const heads = await t.client.listHeads();
  return { ownEntries: info.ownEntries, head: heads[0]?.seq };
}

function withToken(token: string | undefined): DtxClient {
  return t.clientWith(token);
}

const now = () => Math.floor(Date.now() / 1000);

/** Each builds a token this node must refuse. */
const HOSTILE: { name: string; token: () => string | Promise<string> | undefined }[] = [
  { name: 'no token', token: () => undefined },
  { name: 'garbage', token: () => 'garbage' },
  { name: 'three garbage segments', token: () => 'abc.def.ghi' },
  { name: 'another node key, claiming this node as issuer and audience', token: () => issueToken(otherKey.privateKeyObject, nodeId, { role: 'admin', subject: 'x' }) },
  { name: "another node's own admin token", token: () => issueToken(otherKey.privateKeyObject, otherId, { role: 'admin', subject: 'admin' }) },
  { name: 'this node key, another node as issuer and audience', token: () => issueToken(nodeKey.privateKeyObject, otherId, { role: 'admin', subject: 'x' }) },
  { name: 'another audience', token: () => buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { aud: otherId })) },
  { name: 'another issuer', token: () => buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { iss: otherId })) },
  { name: 'no audience', token: () => buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { aud: undefined })) },
  { name: 'expired (issueToken with a negative ttl)', token: () => issueToken(nodeKey.privateKeyObject, nodeId, { role: 'admin', subject: 'x', ttlSeconds: -120 }) },
  { name: 'expired (exp an hour ago)', token: () => buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { iat: now() - 7200, exp: now() - 3600 })) },
  { name: 'not yet valid (nbf in an hour)', token: () => buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { nbf: now() + 3600 })) },
  { name: 'alg none, unsigned', token: () => buildJwt({ alg: 'none' }, claimsFor(nodeId)) },
  { name: 'alg EdDSA with an empty signature', token: () => buildJwt({ alg: 'none' }, claimsFor(nodeId), { alg: 'EdDSA' }) },
  { name: 'HS256 keyed with the raw public key', token: () => buildJwt({ alg: 'HS256', secret: nodeKey.publicKey }, claimsFor(nodeId)) },
  {
    name: 'HS256 keyed with the PEM public key',
    token: () => buildJwt({ alg: 'HS256', secret: nodeKey.publicKeyObject.export({ format: 'pem', type: 'spki' }).toString() }, claimsFor(nodeId)),
  },
  { name: 'HS256 keyed with the node id', token: () => buildJwt({ alg: 'HS256', secret: nodeId }, claimsFor(nodeId)) },
  {
    name: 'embedded jwk of an attacker key',
    token: () =>
      buildJwt({ alg: 'EdDSA', key: otherKey.privateKeyObject }, claimsFor(nodeId), { jwk: otherKey.publicKeyObject.export({ format: 'jwk' }) }),
  },
  { name: 'unknown role', token: () => buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { role: 'root' })) },
  { name: 'no role', token: () => buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { role: undefined })) },
  { name: 'no subject', token: () => buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { sub: undefined })) },
  { name: 'no token id', token: () => buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { jti: undefined })) },
  {
    name: 'importer token with its payload swapped for an admin payload',
    token: async () => {
      const importer = await issueToken(nodeKey.privateKeyObject, nodeId, { role: 'importer', subject: 'x' });
      const [header, payload, signature] = importer.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      return `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${signature}`;
    },
  },
];

describe('hostile tokens', () => {
  it('a hand-built token with the right key and claims is accepted (the builder is sound)', async () => {
    const token = buildJwt({ alg: 'EdDSA', key: nodeKey.privateKeyObject }, claimsFor(nodeId, { role: 'analyst' }));
    const results = await withToken(token).lookup([{ kind: 'account.email', value: hex64('email:existing') }]);
    expect(results.map((r) => r.matches[0]!.id)).toEqual([existingId]);
  });

  it.each(HOSTILE)('$name: every call needing a token is UNAUTHENTICATED and nothing is stored', async ({ name, token }) => {
    const before = await stored();
    const client = withToken(await token());
    const value = hex64(`hostile:${name}`);
    await expectDtxError(client.publish([emailInput('x', { value })]), 'UNAUTHENTICATED');
    await expectDtxError(client.retract(existingId, RetractReason.FALSE_POSITIVE), 'UNAUTHENTICATED');
    await expectDtxError(client.lookup([{ kind: 'account.email', value }]), 'UNAUTHENTICATED');
    await expectDtxError(client.getIndicator(existingId), 'UNAUTHENTICATED');
    await expectDtxError(client.listHeads(), 'UNAUTHENTICATED');
    await expectDtxError(collect(client.readLog()), 'UNAUTHENTICATED');

    expect(await stored()).toEqual(before);
    expect(await t.client.lookup([{ kind: 'account.email', value }], { includeExpired: true, includeRetracted: true })).toEqual([]);
    expect((await t.client.getIndicator(existingId)).retracted).toBe(false);
  });
});

describe('roles', () => {
  const token = (role: Role) => issueToken(nodeKey.privateKeyObject, nodeId, { role, subject: `${role}-user`, ttlSeconds: 600 });

  it('an importer may read indicators and heads but not publish, retract or read the log', async () => {
    const before = await stored();
    const importer = withToken(await token('importer'));
    await expectDtxError(importer.publish([emailInput('by-importer')]), 'PERMISSION_DENIED');
    await expectDtxError(importer.retract(existingId, RetractReason.FALSE_POSITIVE), 'PERMISSION_DENIED');
    await expectDtxError(collect(importer.readLog()), 'PERMISSION_DENIED');
    expect(await stored()).toEqual(before);
    expect(await t.client.lookup([{ kind: 'account.email', value: hex64('email:by-importer') }])).toEqual([]);

    expect((await importer.getIndicator(existingId)).id).toBe(existingId);
    expect(await importer.lookup([{ kind: 'account.email', value: hex64('email:existing') }])).toHaveLength(1);
    expect(await importer.listHeads()).toHaveLength(1);
  });

  it('an analyst may read the log but not publish', async () => {
    const before = await stored();
    const analyst = withToken(await token('analyst'));
    await expectDtxError(analyst.publish([emailInput('by-analyst')]), 'PERMISSION_DENIED');
    expect(await stored()).toEqual(before);
    const batches = await collect(analyst.readLog());
    expect(batches.flat().length).toBe(Number(before.ownEntries));
  });

  it('a peer token may not publish or look up indicators', async () => {
    const before = await stored();
    const peer = withToken(await token('peer'));
    await expectDtxError(peer.publish([emailInput('by-peer')]), 'PERMISSION_DENIED');
    await expectDtxError(peer.lookup([{ kind: 'account.email', value: hex64('email:existing') }]), 'PERMISSION_DENIED');
    expect(await stored()).toEqual(before);
  });

  it('a publisher may publish and retract', async () => {
    const publisher = withToken(await token('publisher'));
    const [item] = await publisher.publish([emailInput('by-publisher')]);
    expect(item!.version).toBe(1);
    await publisher.retract(item!.id, RetractReason.SUPERSEDED);
    expect((await t.client.getIndicator(item!.id)).retracted).toBe(true);
  });
});

describe('public calls', () => {
  it('GetNodeInfo works without a token, and with a token that would be refused elsewhere', async () => {
    for (const client of [withToken(undefined), withToken('garbage')]) {
      const info = await client.nodeInfo();
      expect(info.nodeId).toBe(nodeId);
      expect(info.name).toBe('auth');
    }
  });
});
