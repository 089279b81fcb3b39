#!/usr/bin/python3
"""A grove client written without grove: Debian's python3-grpcio + python3-protobuf only.

Usage:
    python_client.py ADDRESS [--model NAME] [--dense JSON] [--record JSON]
                     [--route reflection|protoc]

1. Gets the message and service types:
   - route "reflection" (default): asks the server itself, over the standard gRPC server
     reflection API (grpc.reflection.v1.ServerReflection/ServerReflectionInfo, raw grpcio
     stream call), for the files that define grove.v1.PredictionService, loads those
     FileDescriptorProtos into a fresh descriptor pool and builds message classes from them.
     No grove code, no .proto files and no generated stubs are used.
   - route "protoc": compiles proto/ at run time with grpc_tools.protoc (python3-grpc-tools)
     into a descriptor set in a temp dir and builds the message classes from that.
2. Lists the services via reflection (for both routes).
3. Calls grove.v1.PredictionService/Predict once with a 1-row dense matrix and once with a
   1-row record, and prints one JSON object on stdout.

--dense is a JSON array of numbers (null = missing, sent as NaN); --record is a JSON object of
field -> number | string | bool | null (null is sent as a Value with no kind set, or as
null_value where the contract has it).
Exit status 0 on success; 2 when grpc/protobuf cannot be imported; 3 when grpc_tools' protoc
cannot compile proto/ (route protoc only); 1 on any other failure.
"""

import argparse
import json
import math
import os
import sys
import tempfile

try:
    import grpc
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf import message_factory
except ImportError as e:  # pragma: no cover - the TS test skips before getting here
    print(f"python_client.py: {e} (install python3-grpcio)", file=sys.stderr)
    sys.exit(2)

REFLECTION_METHOD = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
PREDICTION_SERVICE = "grove.v1.PredictionService"
PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")


def message_class(pool, full_name):
    """A message class for `full_name` in `pool`, across protobuf Python API versions."""
    desc = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22 (Python API)
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)  # older (Debian bookworm: 3.21)


# --- The reflection API's own messages, described by hand (only the fields this client uses) ---

def _reflection_pool():
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(
        name="grove_interop/grpc_reflection_v1_subset.proto", package="grpc.reflection.v1", syntax="proto3"
    )

    def msg(name, fields, oneofs=()):
        m = fdp.message_type.add(name=name)
        for o in oneofs:
            m.oneof_decl.add(name=o)
        for fname, number, ftype, label, type_name, oneof in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
            if oneof is not None:
                f.oneof_index = oneof
        return m

    OPT, REP = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    S, B, I, M = F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_INT32, F.TYPE_MESSAGE
    msg(
        "ServerReflectionRequest",
        [
            ("host", 1, S, OPT, None, None),
            ("file_by_filename", 3, S, OPT, None, 0),
            ("file_containing_symbol", 4, S, OPT, None, 0),
            ("list_services", 7, S, OPT, None, 0),
        ],
        oneofs=["message_request"],
    )
    msg(
        "ServerReflectionResponse",
        [
            ("valid_host", 1, S, OPT, None, None),
            ("original_request", 2, M, OPT, ".grpc.reflection.v1.ServerReflectionRequest", None),
            ("file_descriptor_response", 4, M, OPT, ".grpc.reflection.v1.FileDescriptorResponse", 0),
            ("list_services_response", 6, M, OPT, ".grpc.reflection.v1.ListServiceResponse", 0),
            ("error_response", 7, M, OPT, ".grpc.reflection.v1.ErrorResponse", 0),
        ],
        oneofs=["message_response"],
    )
    msg("FileDescriptorResponse", [("file_descriptor_proto", 1, B, REP, None, None)])
    msg("ListServiceResponse", [("service", 1, M, REP, ".grpc.reflection.v1.ServiceResponse", None)])
    msg("ServiceResponse", [("name", 1, S, OPT, None, None)])
    msg("ErrorResponse", [("error_code", 1, I, OPT, None, None), ("error_message", 2, S, OPT, None, None)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return pool


class Reflection:
    """Raw grpcio calls to ServerReflectionInfo (one request per stream: simple and enough)."""

    def __init__(self, channel):
        pool = _reflection_pool()
        self.Request = message_class(pool, "grpc.reflection.v1.ServerReflectionRequest")
        Response = message_class(pool, "grpc.reflection.v1.ServerReflectionResponse")
        self.call = channel.stream_stream(
            REFLECTION_METHOD, request_serializer=self.Request.SerializeToString, response_deserializer=Response.FromString
        )

    def ask(self, **kwargs):
        responses = list(self.call(iter([self.Request(**kwargs)]), timeout=10))
        if len(responses) != 1:
            raise RuntimeError(f"reflection: expected 1 response, got {len(responses)}")
        res = responses[0]
        if res.WhichOneof("message_response") == "error_response":
            raise RuntimeError(f"reflection {kwargs}: {res.error_response.error_code} {res.error_response.error_message}")
        return res

    def list_services(self):
        return [s.name for s in self.ask(list_services="*").list_services_response.service]

    def files_for_symbol(self, symbol):
        """Every FileDescriptorProto needed for `symbol`: the server's answer plus any missing imports."""
        res = self.ask(file_containing_symbol=symbol)
        files = {}
        for raw in res.file_descriptor_response.file_descriptor_proto:
            fdp = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files.setdefault(fdp.name, fdp)
        missing = [d for f in list(files.values()) for d in f.dependency if d not in files]
        while missing:
            name = missing.pop()
            if name in files:
                continue
            for raw in self.ask(file_by_filename=name).file_descriptor_response.file_descriptor_proto:
                fdp = descriptor_pb2.FileDescriptorProto.FromString(raw)
                files.setdefault(fdp.name, fdp)
                missing.extend(d for d in fdp.dependency if d not in files)
        return files


def pool_from_files(files):
    """A fresh pool with `files` (name -> FileDescriptorProto) added in dependency order."""
    pool = descriptor_pool.DescriptorPool()
    added = set()
    pending = dict(files)
    while pending:
        ready = [n for n, f in pending.items() if all(d in added for d in f.dependency)]
        if not ready:
            raise RuntimeError(f"unresolvable imports among {sorted(pending)}: "
                               f"{ {n: list(f.dependency) for n, f in pending.items()} }")
        for n in sorted(ready):
            try:
                pool.Add(pending.pop(n))
            except Exception as e:  # the C++/upb builders say why (bad map entry, missing import, ...)
                raise RuntimeError(f"the descriptor of {n!r} is rejected by protobuf's descriptor pool: {e}") from e
            added.add(n)
    return pool


class ProtocError(RuntimeError):
    """grpc_tools' bundled protoc could not compile the contract (Debian bookworm's is libprotoc 3.5)."""


def files_from_protoc():
    """Compiles proto/grove/v1/prediction.proto (and its imports) with grpc_tools.protoc into a
    FileDescriptorSet. Only the file Predict needs: the rest of the contract may use features an
    old bundled protoc lacks (e.g. proto3 `optional` needs protoc >= 3.15)."""
    from grpc_tools import protoc  # python3-grpc-tools

    try:
        import importlib.resources as resources

        well_known = str(resources.files("grpc_tools") / "_proto")
    except (ImportError, AttributeError, TypeError):
        import pkg_resources

        well_known = pkg_resources.resource_filename("grpc_tools", "_proto")
    with tempfile.TemporaryDirectory(prefix="grove-interop-") as tmp:
        out = os.path.join(tmp, "grove.pb")
        args = ["grpc_tools.protoc", f"-I{PROTO_DIR}", f"-I{well_known}", "--include_imports",
                f"--descriptor_set_out={out}", "grove/v1/prediction.proto"]
        if protoc.main(args) != 0:  # protoc printed why on stderr
            raise ProtocError(f"grpc_tools.protoc could not compile the contract: {' '.join(args)}")
        with open(out, "rb") as fh:
            fds = descriptor_pb2.FileDescriptorSet.FromString(fh.read())
    return {f.name: f for f in fds.file}


def response_json(res):
    values = [("NaN" if math.isnan(v) else v) for v in res.values]
    return {
        "model": res.model,
        "version": res.version,
        "request_id": res.request_id,
        "rows": res.rows,
        "num_outputs": res.num_outputs,
        "values": values,
        "role": res.role,
        "errors": [{"row": e.row, "field": e.field, "reason": e.reason} for e in res.errors],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("address")
    ap.add_argument("--model", default="interop")
    ap.add_argument("--dense", default="[0.5, null, 1.0]", help="JSON array; null = missing")
    ap.add_argument("--record", default='{"x0": 0.5}', help="JSON object of field -> value")
    ap.add_argument("--route", choices=["reflection", "protoc"], default="reflection")
    args = ap.parse_args()

    out = {"route": args.route, "python": sys.version.split()[0], "grpcio": grpc.__version__}
    try:
        import google.protobuf

        out["protobuf"] = google.protobuf.__version__
    except AttributeError:
        pass

    with grpc.insecure_channel(args.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        refl = Reflection(channel)
        out["services"] = sorted(refl.list_services())

        files = refl.files_for_symbol(PREDICTION_SERVICE) if args.route == "reflection" else files_from_protoc()
        out["files"] = sorted(files)
        pool = pool_from_files(files)
        service = pool.FindServiceByName(PREDICTION_SERVICE)
        out["methods"] = [m.name for m in service.methods]
        method = service.methods_by_name["Predict"]
        Request = message_class(pool, method.input_type.full_name)
        Response = message_class(pool, method.output_type.full_name)
        predict = channel.unary_unary(
            f"/{service.full_name}/{method.name}",
            request_serializer=Request.SerializeToString,
            response_deserializer=Response.FromString,
        )

        dense = json.loads(args.dense)
        req = Request(model=args.model, request_id="python-dense")
        req.dense.rows = 1
        req.dense.cols = len(dense)
        req.dense.values.extend(float("nan") if v is None else float(v) for v in dense)
        out["dense"] = response_json(predict(req, timeout=10))

        record = json.loads(args.record)
        req = Request(model=args.model, request_id="python-record")
        row = req.records.rows.add()
        record_desc = method.input_type.fields_by_name["records"].message_type.fields_by_name["rows"].message_type
        value_desc = record_desc.fields_by_name["fields"].message_type.fields_by_name["value"].message_type
        has_null = "null_value" in value_desc.fields_by_name
        for k, v in record.items():
            if v is None:
                if has_null:  # older contract: google.protobuf.NullValue in the oneof
                    row.fields[k].null_value = 0
                else:  # a Value with no kind set means missing
                    row.fields[k].SetInParent()
            elif isinstance(v, bool):
                row.fields[k].flag = v
            elif isinstance(v, (int, float)):
                row.fields[k].number = float(v)
            else:
                row.fields[k].text = str(v)
        out["record"] = response_json(predict(req, timeout=10))

    print(json.dumps(out, allow_nan=False))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except grpc.RpcError as e:
        print(f"python_client.py: RPC failed: {e.code()} {e.details()}", file=sys.stderr)
        sys.exit(1)
    except ProtocError as e:
        print(f"python_client.py: {e}", file=sys.stderr)
        sys.exit(3)
    except RuntimeError as e:
        print(f"python_client.py: {e}", file=sys.stderr)
        sys.exit(1)
