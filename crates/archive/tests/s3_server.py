#!/usr/bin/env python3
"""The S3-protocol server the archive tests run against: moto's S3, served one
request at a time, with authentication on and one known access key.

    python3 s3_server.py [--host 127.0.0.1] [--port 0] [--port-file FILE]

It prints `http://HOST:PORT` on its first line of stdout (and writes it to
--port-file when given) once it accepts connections; the tests read that URL
from CERTIFY_S3_ENDPOINT.

Why not plain `moto_server`:
- moto checks If-Match / If-None-Match on PutObject, but checks and then writes
  in two steps; `moto_server` serves requests on concurrent threads, so two
  writers holding the same ETag could in principle both pass the check.
  Served one request at a time, every conditional write is atomic, as on S3.
- `moto_server` accepts any credentials. With INITIAL_NO_AUTH_ACTION_COUNT=0
  every request's SigV4 signature is checked against moto's IAM, where this
  script creates one user with ACCESS_KEY_ID / SECRET_ACCESS_KEY below, so a
  wrong secret is refused as on S3.
"""

import argparse
import json
import os
import sys

# Read by moto.settings when moto is imported: authenticate every request.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"

from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402

ACCESS_KEY_ID = "AKIACERTIFYTEST00001"
SECRET_ACCESS_KEY = "certify-archive-test-secret"
USER = "certify-archive-tests"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def create_test_user() -> None:
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    iam.create_user("us-east-1", USER)
    iam.put_user_policy(USER, "s3-all", json.dumps(POLICY))
    key = iam.create_access_key(USER)
    del iam.access_keys[key.physical_resource_id]
    key.access_key_id = ACCESS_KEY_ID
    key.secret_access_key = SECRET_ACCESS_KEY
    iam.access_keys[key.physical_resource_id] = key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="also write the URL to this file once listening")
    args = parser.parse_args()

    create_test_user()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, app, threaded=False, request_handler=MotoRequestHandler)
    url = f"http://{args.host}:{server.port}"
    print(url, flush=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(url + "\n")
        os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
