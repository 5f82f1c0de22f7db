"""Loaded by schemathesis (SCHEMATHESIS_HOOKS): tus bodies, `application/offset+octet-stream`, go
on the wire as the raw bytes they are, like `application/octet-stream`; Elasticsearch's bulk
bodies, `application/x-ndjson`, as the text they are; Loki's protobuf pushes,
`application/x-protobuf`, as raw bytes."""

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
schemathesis.serializer.alias("application/x-ndjson", "text/plain")
schemathesis.serializer.alias("application/x-protobuf", "application/octet-stream")
