"""Parse an in-toto Statement v1 (and a SLSA provenance v1 predicate) with the in-toto
project's own Python bindings (package `in-toto-attestation`): strict protobuf JSON parsing,
unknown fields rejected, then the library's validation. Exit 0 when valid; prints the error.

Usage: python check_statement.py STATEMENT.json
"""
import json
import sys

from google.protobuf import json_format
import in_toto_attestation.v1.statement_pb2 as statement_pb2
from in_toto_attestation.v1.statement import Statement
import in_toto_attestation.predicates.provenance.v1.provenance_pb2 as provenance_pb2

SLSA_V1 = "https://slsa.dev/provenance/v1"


def main(path):
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    proto = json_format.ParseDict(document, statement_pb2.Statement())
    Statement.copy_from_pb(proto).validate()
    if document.get("predicateType") == SLSA_V1:
        json_format.ParseDict(document["predicate"], provenance_pb2.Provenance())
    print("valid in-toto statement")


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as error:  # report any parse or validation failure as invalid
        print(f"invalid: {error}")
        sys.exit(1)
