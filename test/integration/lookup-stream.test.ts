/**
 * LookupStream against a real node: the client's lookups over one stream answer as unary calls
 * do; ids come back as sent, in order; a bad query fails alone and the stream goes on; a message
 * that does not decode, or a token that expires, ends it; the node ends open streams when it
 * stops; a slow answer times out alone; a node without the method gets unary calls.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Server, ServerCredentials, status as GrpcStatus, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DtxClient } from '../../client/index.js';
import { issueToken } from '../../shared/auth/tokens.js';
import {
  LookupIndicatorsRequestSchema,
  LookupStreamRequestSchema,
  LookupStreamResponseSchema,
  LookupView,
  type LookupStreamResponse,
} from '../../shared/gen/dtx/v1/indicator_service_pb.js';
import { errorOfStatus } from '../../shared/rpc/status.js';
import { expectDtxError } from '../_util/errors.js';
import { FaultProxy } from '../_util/fault-proxy.js';
import { RawGrpcClient } from '../_util/raw-grpc.js';
import { emailBatch } from '../_util/samples.js';
import { startNodeOn, startTestNode, type TestNode } from '../_util/test-node.js';

const PATH = '/dtx.v1.IndicatorService/LookupStream';
let t: TestNode;
const closers: (() => unknown)[] = [];

beforeEach(async () => {
  t = await startTestNode({ name: 'lookup-stream' });
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await t.stop();
});

const client = (options: { lookupStream?: boolean; timeoutMs?: number; address?: string; token?: string } = {}) => {
  const c = new DtxClient({ address: options.address ?? t.node.grpcAddress, token: options.token ?? t.token, ...options });
  closers.push(() => c.close());
  return c;
};

const raw = () => {
  const r = new RawGrpcClient(t.node.grpcAddress);
  closers.push(() => r.close());
  return r;
};

const streamRequest = (id: bigint, queries: { kind: string; value: string }[], view = LookupView.MATCHES) =>
  toBinary(LookupStreamRequestSchema, create(LookupStreamRequestSchema, { id, lookup: { queries, view } }));

/** Reads answers from a raw stream until `count` came, or the stream ended; with its final status. */
function answers(stream: ReturnType<RawGrpcClient['duplexBytes']>) {
  const got: LookupStreamResponse[] = [];
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    stream.on('data', (bytes: Buffer) => got.push(fromBinary(LookupStreamResponseSchema, bytes)));
    stream.on('error', () => undefined);
    stream.on('status', (status: { code: number; details: string }) => resolve(status));
  });
  const until = async (count: number) => {
    for (let i = 0; i < 500 && got.length < count; i++) await sleep(10);
    return got;
  };
  return { got, ended, until };
}

describe('lookups over the stream', () => {
  it('answer as unary calls do, in both views, many in flight at once', async () => {
    const published = await t.client.publish(emailBatch('stream', 30));
    const inputs = emailBatch('stream', 30);
    const unpublished = emailBatch('not published', 30);
    const streamed = client();
    const unary = client({ lookupStream: false });
    // Every third query finds nothing.
    const queries = inputs.map((input, i) => (i % 3 === 0 ? unpublished[i]! : input)).map((q) => ({ kind: q.kind!, value: q.value! }));
    const viaStream = await Promise.all(queries.map((q) => streamed.lookup([q])));
    const viaUnary = await Promise.all(queries.map((q) => unary.lookup([q])));
    expect(viaStream).toEqual(viaUnary);
    expect(viaStream.filter((r) => r.length === 1).map((r) => r[0]!.matches[0]!.id).sort()).toEqual(
      published.filter((_, i) => i % 3 !== 0).map((p) => p.id).sort(),
    );
    expect(await streamed.lookupMatches(queries)).toEqual(await unary.lookupMatches(queries));
  });

  it('fail a bad query alone: the lookups around it on the same stream are answered', async () => {
    await t.client.publish(emailBatch('bad', 2));
    const [a, b] = emailBatch('bad', 2).map((i) => ({ kind: i.kind!, value: i.value! }));
    const c = client();
    const results = await Promise.allSettled([c.lookup([a!]), c.lookup([{ kind: 'no.such.kind', value: 'x' }]), c.lookup([b!])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await expectDtxError(Promise.reject((results[1] as PromiseRejectedResult).reason), 'INVALID_ARGUMENT', { field: 'queries[0].kind' });
  });
});

describe('the stream by hand', () => {
  it('echoes each id as sent (0 and 2^64 - 1 too), answers in order, and answers a bad query with its error', async () => {
    const stream = raw().duplexBytes(PATH, t.token);
    const { ended, until } = answers(stream);
    const ids = [7n, 0n, 2n ** 64n - 1n, 3n];
    stream.write(streamRequest(ids[0]!, [{ kind: 'account.email', value: 'a'.repeat(64) }]));
    stream.write(streamRequest(ids[1]!, []));
    stream.write(streamRequest(ids[2]!, [{ kind: 'network.ip', value: 'not an address' }]));
    stream.write(streamRequest(ids[3]!, [{ kind: 'network.ip', value: '192.0.2.1' }]));
    const got = await until(4);
    expect(got.map((g) => g.id)).toEqual(ids);
    expect(got.map((g) => g.result.case)).toEqual(['lookup', 'lookup', 'error', 'lookup']);
    const error = got[2]!.result.case === 'error' ? errorOfStatus(got[2]!.result.value) : undefined;
    expect(error?.code).toBe('INVALID_ARGUMENT');
    expect(error?.details.field).toBe('queries[0].value');
    stream.end();
    expect((await ended).code).toBe(GrpcStatus.OK);
  });

  it('ends with INVALID_ARGUMENT at a message that does not decode, after answering the ones before', async () => {
    const stream = raw().duplexBytes(PATH, t.token);
    const { ended, got } = answers(stream);
    stream.write(streamRequest(1n, []));
    stream.write(new Uint8Array([0x12, 0x09, 0x0a]));
    const status = await ended;
    expect(status.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(status.details).toContain('dtx.v1.LookupStreamRequest');
    expect(got.map((g) => g.id)).toEqual([1n]);
  });

  it('needs a token with a lookup role, at once', async () => {
    for (const [token, code] of [
      [undefined, GrpcStatus.UNAUTHENTICATED],
      ['not.a.jwt', GrpcStatus.UNAUTHENTICATED],
      [await issueToken(t.node.context.key.privateKeyObject, t.node.nodeId, { role: 'peer', subject: 'x' }), GrpcStatus.PERMISSION_DENIED],
    ] as const) {
      const stream = raw().duplexBytes(PATH, token);
      const { ended, got } = answers(stream);
      stream.write(streamRequest(1n, []));
      expect((await ended).code, String(token)).toBe(code);
      expect(got).toEqual([]);
    }
  });

  it('ends with UNAUTHENTICATED once its token expires, as a new call would', async () => {
    const token = await issueToken(t.node.context.key.privateKeyObject, t.node.nodeId, { role: 'analyst', subject: 'short', ttlSeconds: 2 });
    const stream = raw().duplexBytes(PATH, token);
    const { ended, until } = answers(stream);
    stream.write(streamRequest(1n, []));
    expect((await until(1)).map((g) => g.id)).toEqual([1n]);
    await sleep(3_100);
    stream.write(streamRequest(2n, []));
    expect((await ended).code).toBe(GrpcStatus.UNAUTHENTICATED);
  });

  it('is ended, with an OK status, when the node stops', async () => {
    const stream = raw().duplexBytes(PATH, t.token);
    const { ended, until } = answers(stream);
    stream.write(streamRequest(1n, []));
    await until(1);
    const stopping = t.node.stop();
    expect((await ended).code).toBe(GrpcStatus.OK);
    await stopping;
  });
});

describe('the client', () => {
  it('fails a lookup that gets no answer in time, alone: the next one on the same client is answered', async () => {
    const proxy = await FaultProxy.start({ target: t.node.grpcAddress });
    closers.push(() => proxy.close());
    const c = client({ address: proxy.address, timeoutMs: 300 });
    const query = [{ kind: 'network.ip', value: '192.0.2.1' }];
    expect(await c.lookup(query)).toEqual([]);
    proxy.setDelay(1_000);
    await expectDtxError(c.lookup(query), 'DEADLINE_EXCEEDED');
    proxy.setDelay(0);
    await sleep(1_200);
    expect(await c.lookup(query)).toEqual([]);
  });

  it('opens a new stream when the node ended the last: the same client looks up across a restart', async () => {
    await t.client.publish(emailBatch('restart', 1));
    const [input] = emailBatch('restart', 1).map((i) => ({ kind: i.kind!, value: i.value! }));
    const c = client();
    expect(await c.lookup([input!])).toHaveLength(1);
    const address = t.node.grpcAddress;
    await t.node.stop();
    const again = await startNodeOn(t.dir, { grpc: address });
    closers.push(() => again.stop());
    expect(await c.lookup([input!])).toHaveLength(1);
    expect(await c.lookupMatches([input!])).toHaveLength(1);
  });

  it('uses unary calls against a node without LookupStream', async () => {
    // An older node: a server with LookupIndicators only, answering from the real node.
    const forward = new RawGrpcClient(t.node.grpcAddress);
    closers.push(() => forward.close());
    const older = new Server();
    older.register(
      '/dtx.v1.IndicatorService/LookupIndicators',
      (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => {
        forward.unaryBytes('/dtx.v1.IndicatorService/LookupIndicators', call.request, t.token).then((bytes) => done(null, bytes), (err: Error) => done(err));
      },
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      'unary',
    );
    const port = await new Promise<number>((resolve, reject) => older.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    closers.push(() => older.forceShutdown());
    await t.client.publish(emailBatch('older', 1));
    const [input] = emailBatch('older', 1);
    const c = client({ address: `127.0.0.1:${port}` });
    const [first, second] = await Promise.all([c.lookup([{ kind: input!.kind!, value: input!.value! }]), c.lookupMatches([{ kind: input!.kind!, value: input!.value! }])]);
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(await c.lookup([{ kind: input!.kind!, value: input!.value! }])).toEqual(first);
  });
});

it('LookupIndicatorsRequest is the message nested in a stream request', () => {
  expect(LookupStreamRequestSchema.field.lookup.message).toBe(LookupIndicatorsRequestSchema);
});
