"""Writes webhook-vectors.json: Standard Webhooks signatures made by the reference library.

Run with the library installed (`pip install standardwebhooks==1.1.0`):

    python3 make_webhook_vectors.py > webhook-vectors.json

Every input is fixed, so the output only changes when this script or the library does.
"""

import base64
import json
import sys
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook

LIBRARY_VERSION = "1.1.0"


def secret(length, start=0, prefix="whsec_", padded=True):
    encoded = base64.b64encode(bytes((start + i) % 256 for i in range(length))).decode()
    return prefix + (encoded if padded else encoded.rstrip("="))


CASES = [
    # (name, secret, message id, timestamp in seconds, body)
    ("the example of the Standard Webhooks specification", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
     "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'),
    ("32-byte secret as Apus makes it", secret(32), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1700000000,
     '{"type":"user.created","data":{"id":"usr_1"}}'),
    ("24-byte secret, no padding needed", secret(24, 7), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
     '{"test": 2432232314}'),
    ("16-byte secret with two padding characters", secret(16, 200), "evt_1", 1,
     '{"a":1}'),
    ("secret without the whsec_ prefix", secret(32, 99, prefix=""), "msg_no_prefix", 1700000001,
     '{"prefix":false}'),
    ("secret without base64 padding", secret(32, 42, padded=False), "msg_unpadded", 1700000002,
     '{"padded":false}'),
    ("empty body", secret(32, 1), "msg_empty", 1700000003, ""),
    ("non-ASCII body", secret(32, 2), "msg_unicode", 1700000004,
     '{"name":"Zoë Ångström","city":"東京","emoji":"🚀"}'),
    ("body with line breaks and dots", secret(32, 3), "msg_lines", 1700000005,
     '{\n  "text": "line one\\r\\n.line two"\n}\n'),
    ("message id with dots", secret(32, 4), "msg.with.dots", 1700000006, '{"dots":"id.ts.body"}'),
    ("large body", secret(32, 5), "msg_large", 2000000000,
     json.dumps({"items": [{"index": i, "label": "item %d" % i} for i in range(500)]})),
    ("fractional timestamp is floored", secret(32, 6), "msg_fraction", 1700000007.999,
     '{"fraction":true}'),
]


def main():
    vectors = []
    for name, whsecret, msg_id, seconds, body in CASES:
        timestamp = datetime.fromtimestamp(seconds, tz=timezone.utc)
        signature = Webhook(whsecret).sign(msg_id=msg_id, timestamp=timestamp, data=body)
        vectors.append({
            "name": name,
            "secret": whsecret,
            "msg_id": msg_id,
            "timestamp": seconds,
            "body": body,
            "signature": signature,
        })
    document = {
        "generator": "make_webhook_vectors.py",
        "library": "standardwebhooks " + LIBRARY_VERSION,
        "vectors": vectors,
    }
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
