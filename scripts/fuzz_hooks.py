"""schemathesis hooks for `make fuzz` (scripts/fuzz.sh loads them through
SCHEMATHESIS_HOOKS for the authenticated run).

Authenticates every request as the seeded workspace owner. A fixed token
would not survive the run: schemathesis also calls DELETE /api/session,
which revokes the token it was sent, and every request after it would then
test nothing but the 401. So the token comes from signing in, and
schemathesis signs in again and retries whenever a request answers 401.
"""

import json
import os
import urllib.request

import schemathesis

API = os.environ["FUZZ_API"]
EMAIL = os.environ["FUZZ_EMAIL"]
PASSWORD = os.environ["FUZZ_PASSWORD"]


@schemathesis.auth(retry_on=[401])
class OwnerToken:
    def get(self, case, context):
        body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
        request = urllib.request.Request(
            f"{API}/api/session", data=body, method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


# Rules the contract states across parameters, which a schema cannot say:
# schema-valid requests that break them are refused with a 400 by design,
# so the generated requests are brought inside them before they are sent.

# History takes at most one of these (API.md section 7): keep the first.
HISTORY_CURSORS = ("before", "cursor", "after", "around")


def has_word(text):
    """Whether a search query names a word to find: some term that starts
    with a letter or digit (`-word` only excludes, and punctuation or emoji
    alone are no word to the text-search parser)."""
    return any(term[:1].isalnum() for term in text.split())


@schemathesis.hook
def map_query(ctx, query):
    if not query:
        return query
    given = [name for name in HISTORY_CURSORS if name in query]
    for name in given[1:]:
        del query[name]
    q = query.get("q")
    if isinstance(q, str) and not has_word(q):
        query["q"] = ("word " + q)[:200]
    return query
