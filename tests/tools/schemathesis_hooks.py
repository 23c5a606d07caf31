"""Hooks of the schemathesis run (tests/tools/schemathesis.toml).

Generated Idempotency-Key values repeat across cases ("0", "00", ...). The API
answers a repeated key with the first request's result, as documented, so a
later case with another body would be judged by an earlier one's answer. Each
valid key is made unique per case; malformed keys are left as generated.
"""

import re
import uuid

import schemathesis
from schemathesis.transport.prepare import get_exclude_headers

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # A case that leaves a header out (Authorization) is left alone: changing it
    # would make schemathesis judge it afresh and send the header after all.
    if get_exclude_headers(case):
        return
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.match(key):
        headers["Idempotency-Key"] = f"{key[:200]}-{uuid.uuid4().hex}"
