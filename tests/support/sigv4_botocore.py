"""botocore's own SigV4 signers over path-style GET Object requests
(S3SigV4Auth) and DynamoDB Scan POSTs (SigV4Auth), for tests/sigv4_botocore.rs: argv = endpoint region access_key
secret_key session_token, then bucket/key pairs as JSON on stdin (one per
line). Prints one JSON line per request: the URL botocore's key quoting
makes, its X-Amz-Date and the Authorization header it computed."""

import json
import sys

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode

endpoint, region, access, secret, token = sys.argv[1:6]
credentials = Credentials(access, secret, token)
for line in sys.stdin:
    item = json.loads(line)
    if "dynamodb_body" in item:
        # A DynamoDB Scan as scopegate sends it: a JSON POST to the endpoint's root.
        request = AWSRequest(method="POST", url=f"{endpoint}/", data=item["dynamodb_body"].encode(),
                             headers={"Content-Type": "application/x-amz-json-1.0",
                                      "X-Amz-Target": "DynamoDB_20120810.Scan"})
        SigV4Auth(credentials, "dynamodb", region).add_auth(request)
        print(json.dumps({"url": request.url, "date": request.headers["X-Amz-Date"],
                          "authorization": request.headers["Authorization"]}))
        continue
    url = f"{endpoint}/{percent_encode(item['bucket'], safe='~')}/{percent_encode(item['key'], safe='/~')}"
    request = AWSRequest(method="GET", url=url, headers={})
    # Path-style GET with an unsigned payload, as scopegate sends it.
    request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    S3SigV4Auth(credentials, "s3", region).add_auth(request)
    print(json.dumps({
        "url": request.url,
        "date": request.headers["X-Amz-Date"],
        "content_sha256": request.headers["X-Amz-Content-SHA256"],
        "authorization": request.headers["Authorization"],
    }))
