"""schemathesis hooks for scripts/api-fuzz.sh.

The upload piece (`PATCH /api/v1/uploads/{sha256}`) travels as `application/offset+octet-stream`
(the tus media type): raw bytes, sent as schemathesis sends `application/octet-stream`.
"""

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
