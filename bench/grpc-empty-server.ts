/**
 * The transport ceiling for bench/grpc.ts: a grpc-js server implementing
 * grove.v1.PredictionService/Predict with a handler that does nothing but answer a fixed tiny
 * PredictResponse. Same proto loading (proto-loader, same options) and the same server options as
 * GroveServer, so requests are decoded and responses encoded exactly as grove does; only the
 * scoring, routing and bookkeeping are missing.
 *
 *   node --import tsx bench/grpc-empty-server.ts [--host 127.0.0.1] [--port 0]
 *
 * Prints {"msg":"empty serving","port":N} on stdout once bound. Exits on SIGTERM/SIGINT, and with
 * --watch-stdin also when stdin closes (bench/grpc.ts uses it so the server cannot outlive it).
 */
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadGroveProto } from '../src/server/proto.js';
import type { PredictResponse } from '../src/generated/grove/v1/PredictResponse.js';
import type { PredictionServiceHandlers } from '../src/generated/grove/v1/PredictionService.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'watch-stdin': { type: 'boolean', default: false },
  },
  strict: true,
});

/** What a 1-row, 1-output grove answer looks like (similar size on the wire). */
const RESPONSE: PredictResponse = {
  model: 'bench',
  version: 1,
  request_id: '00000000-0000-4000-8000-000000000000',
  rows: 1,
  num_outputs: 1,
  values: [0.5],
  role: 'live',
};

const handlers: PredictionServiceHandlers = {
  Predict(_call, callback) {
    callback(null, RESPONSE);
  },
  PredictStream(call) {
    call.on('data', () => call.write(RESPONSE));
    call.on('end', () => call.end());
  },
};

const proto = loadGroveProto();
// Same options as GroveServer (src/server/server.ts).
const server = new grpc.Server({
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
});
server.addService(proto.grove.v1.PredictionService.service, handlers);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (values['watch-stdin']) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

server.bindAsync(`${values.host}:${values.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`grpc-empty-server: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ msg: 'empty serving', port }) + '\n');
});
