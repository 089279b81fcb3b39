#!/usr/bin/env bash
# Regenerates the TypeScript types of the gRPC contract (src/generated) from proto/.
# proto-loader-gen-types writes extensionless relative imports; NodeNext ESM needs `.js`.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf src/generated
npx proto-loader-gen-types --keepCase --longs=String --enums=String --defaults --oneofs --includeComments \
  --grpcLib=@grpc/grpc-js -I proto -O src/generated \
  grove/v1/prediction.proto grove/v1/model.proto google/rpc/status.proto google/rpc/error_details.proto
find src/generated -name '*.ts' -exec sed -i -E "s#(from '\.{1,2}/[^']*)';#\1.js';#" {} +
