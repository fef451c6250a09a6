"""Schemathesis checks for ctex (loaded through SCHEMATHESIS_HOOKS=hooks).

A response passes when it is what ctex documents (DESIGN §3.4): HTTP below 500, a JSON object,
every error carrying an `extensions.code` from the documented list, none of them `INTERNAL` (a
masked failure of ctex itself: the fuzzer found a bug), and no body showing a SQL fragment, a
file path, a Rust type name or a stack trace. Documented refusals (`BAD_USER_INPUT`,
`FORBIDDEN`, `NOT_FOUND`, `PURPOSE_REQUIRED`, `CONFLICT`, `INVALID_TRANSITION`,
`QUERY_TOO_COMPLEX`, `RATE_LIMITED`) are the expected answers to random input and pass.
"""

import json

import schemathesis

EXPECTED = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "PURPOSE_REQUIRED",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "INVALID_TRANSITION",
    "QUERY_TOO_COMPLEX",
    "RATE_LIMITED",
}

# Lower-cased; the same list as `LEAKS` in tests/src/lib.rs.
LEAKS = [
    "select ", "insert into", "delete from", 'update "', ' from "', 'where "', "sqlstate",
    "syntax error at", 'relation "', "violates", "duplicate key", "sqlx", "sqlite", "postgres",
    "pg_", "/src/", ".rs:", "/home/", "/root/", "/work/", "/tmp/", "/usr/", "cargo/registry",
    "::", "panicked", "backtrace", "thread '", "option<", "vec<", "result<", "arc<", "box<",
    "sea_orm", "async_graphql", "tokio", "hyper", "dberr", "anyhow",
]


def _sent(case):
    """What the request itself sent, lower-cased: an error may quote the caller's own input
    (an argument value), which is no leak; what must never show is ctex's inside."""
    return json.dumps(case.body, ensure_ascii=False).lower() if case.body is not None else ""


@schemathesis.check
def ctex_documented_errors(ctx, response, case):
    """Every answer is a documented one: no 5xx, no error without a code, no INTERNAL, no leak."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"not JSON: {response.text[:200]}") from exc
    items = body if isinstance(body, list) else [body]
    for item in items:
        if not isinstance(item, dict):
            raise AssertionError(f"not a GraphQL response: {str(item)[:200]}")
        for error in item.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if code is None:
                raise AssertionError(f"an error without extensions.code: {error}")
            if code == "INTERNAL":
                raise AssertionError(
                    f"INTERNAL (requestId {error['extensions'].get('requestId')}): a failure inside ctex"
                )
            if code not in EXPECTED:
                raise AssertionError(f"undocumented code {code}: {error}")
        text = json.dumps(item.get("errors", []), ensure_ascii=False).lower()
        sent = _sent(case)
        for leak in LEAKS:
            if leak in text and leak not in sent:
                raise AssertionError(f"the errors contain {leak!r}: {text[:500]}")
    return None
