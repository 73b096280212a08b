/**
 * The node's wire surface beyond the DTX calls: the standard gRPC health service, server
 * reflection v1, the log stream (ReadLog) and heads, and the plain HTTP endpoints.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyNodeLog } from '../../client/index.js';
import { generateSigningKey } from '../../shared/crypto.js';
import { toHex } from '../../shared/encoding/hex.js';
import { PayloadType } from '../../shared/gen/dtx/v1/log_pb.js';
import { RetractReason } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { decodeHeader } from '../../shared/log/entry-header.js';
import { checkEntry, entryHash, type SignedEntry } from '../../shared/log/entry.js';
import { auditLog } from '../../shared/log/log-audit.js';
import { nodeIdFromPublicKey, publicKeyFromNodeId } from '../../shared/node-id.js';
import { collect, expectDtxError } from '../_util/errors.js';
import { RawGrpcClient, SERVING_STATUS } from '../_util/raw-grpc.js';
import { emailBatch } from '../_util/samples.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';

const DTX_SERVICES = ['dtx.v1.IndicatorService', 'dtx.v1.LogService', 'dtx.v1.NodeService'];
/** 4 + 5 + 6 indicators, then one retraction. */
const ENTRIES = 16;

let t: TestNode;
let raw: RawGrpcClient;

beforeAll(async () => {
  t = await startTestNode({ name: 'protocol' });
  raw = new RawGrpcClient(t.node.grpcAddress);
  await t.client.publish(emailBatch('a', 4));
  await t.client.publish(emailBatch('b', 5));
  const third = await t.client.publish(emailBatch('c', 6));
  await t.client.retract(third[0]!.id, RetractReason.SUPERSEDED);
});

afterAll(async () => {
  raw?.close();
  await t?.stop();
});

const seqsOf = (batches: SignedEntry[][]) => batches.flat().map((e) => decodeHeader(e.header).seq);
const flipFirstBit = (bytes: Uint8Array) => Uint8Array.from(bytes, (b, j) => (j === 0 ? b ^ 1 : b));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('gRPC health', () => {
  it('answers SERVING for the server and for each DTX service', async () => {
    expect(await raw.healthCheck('')).toBe(SERVING_STATUS.SERVING);
    for (const service of DTX_SERVICES) expect(await raw.healthCheck(service)).toBe(SERVING_STATUS.SERVING);
  });

  it('answers NOT_FOUND for a service it does not serve', async () => {
    const err = (await raw.healthCheck('dtx.v1.NoSuchService').catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(GrpcStatus.NOT_FOUND);
  });
});

describe('server reflection v1', () => {
  it('lists the DTX services', async () => {
    const [response] = await raw.reflect([{ listServices: '*' }]);
    expect(response!.error).toBeUndefined();
    expect(response!.services).toEqual(expect.arrayContaining(DTX_SERVICES));
  });

  it('serves the file descriptor of a DTX service, with its methods and imports', async () => {
    const [response] = await raw.reflect([{ fileContainingSymbol: 'dtx.v1.IndicatorService' }]);
    expect(response!.error).toBeUndefined();
    const files = response!.fileDescriptorProtos!.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
    const main = files.find((f) => f.service.some((s) => s.name === 'IndicatorService'));
    expect(main?.package).toBe('dtx.v1');
    const service = main!.service.find((s) => s.name === 'IndicatorService')!;
    expect(service.method.map((m) => m.name).sort()).toEqual(['GetIndicator', 'LookupIndicators', 'LookupStream', 'Publish', 'ReportSightings', 'RetractIndicator']);
    // Its imports travel with it, so a tool can decode every message.
    const names = files.map((f) => f.name);
    for (const dependency of main!.dependency) expect(names).toContain(dependency);
    expect(files.some((f) => f.messageType.some((m) => m.name === 'IndicatorInput'))).toBe(true);
  });

  it('answers several requests on one stream, with NOT_FOUND for an unknown symbol', async () => {
    const responses = await raw.reflect([
      { fileContainingSymbol: 'dtx.v1.NoSuchThing' },
      { fileContainingSymbol: 'dtx.v1.LogService' },
      { listServices: '' },
    ]);
    expect(responses).toHaveLength(3);
    expect(responses[0]!.error?.code).toBe(GrpcStatus.NOT_FOUND);
    expect(responses[1]!.fileDescriptorProtos!.length).toBeGreaterThan(0);
    expect(responses[2]!.services).toEqual(expect.arrayContaining(DTX_SERVICES));
  });
});

describe('ReadLog and ListHeads', () => {
  it('streams the whole own log in seq order, every entry signed by this node', async () => {
    const batches = await collect(t.client.readLog());
    const entries = batches.flat();
    expect(seqsOf(batches)).toEqual(range(1, ENTRIES));
    const key = publicKeyFromNodeId(t.node.nodeId);
    for (const entry of entries) {
      const { header } = checkEntry(entry);
      expect(toHex(header.origin)).toBe(toHex(key));
      expect(header.epoch).toBe(1);
    }
    const types = entries.map((e) => decodeHeader(e.header).payloadType);
    expect(types).toEqual([...Array<number>(ENTRIES - 1).fill(PayloadType.INDICATOR), PayloadType.RETRACTION]);
    // Each entry links to the one before.
    for (let i = 1; i < entries.length; i++) {
      expect(toHex(decodeHeader(entries[i]!.header).prevHash)).toBe(toHex(entryHash(entries[i - 1]!.header, entries[i - 1]!.signature)));
    }
  });

  it('verifies with auditLog and verifyNodeLog, and ListHeads names the last entry', async () => {
    const key = publicKeyFromNodeId(t.node.nodeId);
    const report = await auditLog(key, t.client.readLog({ origin: t.node.nodeId }));
    expect(report.problems).toEqual([]);
    expect(report.entries).toBe(ENTRIES);

    const heads = await t.client.listHeads();
    expect(heads).toHaveLength(1);
    expect(heads[0]).toMatchObject({ origin: t.node.nodeId, epoch: 1, seq: BigInt(ENTRIES) });
    expect(toHex(heads[0]!.hash)).toBe(report.head!.hash);
    const last = (await collect(t.client.readLog({ afterSeq: ENTRIES - 1 }))).flat();
    expect(last).toHaveLength(1);
    expect(toHex(entryHash(last[0]!.header, last[0]!.signature))).toBe(toHex(heads[0]!.hash));

    const audits = await verifyNodeLog(t.client);
    expect(audits).toEqual([{ origin: t.node.nodeId, entries: ENTRIES, head: report.head, problems: [] }]);
  });

  it('an entry with an altered signature is reported as BAD_SIGNATURE at its seq (the check is real)', async () => {
    const entries = (await collect(t.client.readLog())).flat();
    const tampered = entries.map((e, i) => (i === 5 ? { ...e, signature: flipFirstBit(e.signature) } : e));
    const report = await auditLog(publicKeyFromNodeId(t.node.nodeId), [tampered]);
    expect(report.problems[0]).toMatchObject({ seq: 6, code: 'BAD_SIGNATURE' });
  });

  it('an entry with an altered payload is reported at its seq, and the intact chain after it is not', async () => {
    // The entry hash covers header and signature only, so entry 7 still links to entry 6:
    // the one problem is entry 6's payload.
    const entries = (await collect(t.client.readLog())).flat();
    const tampered = entries.map((e, i) => (i === 5 ? { ...e, payload: flipFirstBit(e.payload) } : e));
    const report = await auditLog(publicKeyFromNodeId(t.node.nodeId), [tampered]);
    expect(report.problems.map((p) => [p.seq, p.code])).toEqual([[6, 'MALFORMED_ENTRY']]);
    expect(report.head?.seq).toBe(ENTRIES);
  });

  it('respects after_seq and limit', async () => {
    expect(seqsOf(await collect(t.client.readLog({ afterSeq: 5, limit: 4 })))).toEqual([6, 7, 8, 9]);
    expect(seqsOf(await collect(t.client.readLog({ afterSeq: 5, afterEpoch: 1, limit: 4 })))).toEqual([6, 7, 8, 9]);
    expect(seqsOf(await collect(t.client.readLog({ limit: 3 })))).toEqual([1, 2, 3]);
    expect(seqsOf(await collect(t.client.readLog({ afterSeq: 10 })))).toEqual(range(11, ENTRIES));
    expect(seqsOf(await collect(t.client.readLog({ afterSeq: 14, limit: 100 })))).toEqual([15, 16]);
    expect(seqsOf(await collect(t.client.readLog({ afterSeq: ENTRIES })))).toEqual([]);
    expect(seqsOf(await collect(t.client.readLog({ afterSeq: 1000 })))).toEqual([]);
    expect(seqsOf(await collect(t.client.readLog({ afterEpoch: 2 })))).toEqual([]);
  });

  it('an unknown origin is NOT_FOUND and a malformed one INVALID_ARGUMENT, both naming origin', async () => {
    const stranger = nodeIdFromPublicKey(generateSigningKey().publicKey);
    await expectDtxError(collect(t.client.readLog({ origin: stranger })), 'NOT_FOUND', { field: 'origin' });
    await expectDtxError(collect(t.client.readLog({ origin: 'dtx-not-an-id' })), 'INVALID_ARGUMENT', { field: 'origin' });
  });

  it('pages a long log over several messages without gaps', async () => {
    const big = await startTestNode({ name: 'long-log' });
    try {
      await big.client.publish(emailBatch('long', 700));
      await big.client.publish(emailBatch('longer', 600));
      const batches = await collect(big.client.readLog({ afterSeq: 100, limit: 1050 }));
      expect(batches.length).toBeGreaterThan(1);
      expect(seqsOf(batches)).toEqual(range(101, 1150));
      const all = await collect(big.client.readLog());
      expect(seqsOf(all)).toEqual(range(1, 1300));
      const [audit] = await verifyNodeLog(big.client);
      expect(audit).toMatchObject({ entries: 1300, problems: [], head: { seq: 1300 } });
    } finally {
      await big.stop();
    }
  });
});

describe('HTTP', () => {
  it('GET /healthz answers ok', async () => {
    const response = await fetch(`http://${t.node.httpAddress}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /v1/info matches GetNodeInfo', async () => {
    const response = await fetch(`http://${t.node.httpAddress}/v1/info`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    const info = await t.client.nodeInfo();
    expect(body).toEqual({
      nodeId: info.nodeId,
      name: 'protocol',
      version: info.version,
      ownEntries: ENTRIES,
      indicators: ENTRIES - 1,
    });
  });

  it('unknown paths are 404 and other methods 405', async () => {
    expect((await fetch(`http://${t.node.httpAddress}/nope`)).status).toBe(404);
    expect((await fetch(`http://${t.node.httpAddress}/healthz`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`http://${t.node.httpAddress}/v1/info`, { method: 'HEAD' })).status).toBe(200);
  });
});
