"""A reverse proxy that rewords async-graphql's validation messages the way graphql-js words
them, for clairvoyance (whose regexes only read graphql-js wording):

    Unknown field "cas" on type "Query". Did you mean "case", "cases"?
    -> Cannot query field "cas" on type "Query". Did you mean "case" or "cases"?
    Field "cases" of type "CaseConnection" must have a selection of subfields
    -> Field "cases" of type "CaseConnection" must have a sub selection.

It only rewords: whatever ctex discloses, clairvoyance sees; whatever ctex withholds (field
suggestions in production mode), no wording brings back. Usage:
    python graphql_js_wording.py LISTEN_PORT TARGET_URL
"""

import json
import re
import sys

from aiohttp import ClientSession, web

UNKNOWN_FIELD = re.compile(r'^Unknown field "([^"]+)" on type "([^"]+)"\.(.*)$')
NEEDS_SELECTION = re.compile(r'^Field "([^"]+)" of type "([^"]+)" must have a selection of subfields$')
SUGGESTION = re.compile(r'^ Did you mean (.+)\?$')


def reword_suggestion(rest: str) -> str:
    match = SUGGESTION.match(rest)
    if not match:
        return rest
    names = [n.strip() for n in match.group(1).split(", ")]
    if len(names) == 1:
        listed = names[0]
    elif len(names) == 2:
        listed = f"{names[0]} or {names[1]}"
    else:
        listed = ", ".join(names[:-1]) + f", or {names[-1]}"
    return f" Did you mean {listed}?"


def reword(message: str) -> str:
    match = UNKNOWN_FIELD.match(message)
    if match:
        field, ty, rest = match.groups()
        return f'Cannot query field "{field}" on type "{ty}".{reword_suggestion(rest)}'
    match = NEEDS_SELECTION.match(message)
    if match:
        return f'Field "{match.group(1)}" of type "{match.group(2)}" must have a sub selection.'
    return message


async def forward(request: web.Request) -> web.Response:
    target = request.app["target"]
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
    async with ClientSession() as session:
        async with session.post(target, data=await request.read(), headers=headers) as upstream:
            body = await upstream.read()
            status = upstream.status
    try:
        payload = json.loads(body)
        for error in payload.get("errors") or [] if isinstance(payload, dict) else []:
            if isinstance(error.get("message"), str):
                error["message"] = reword(error["message"])
        body = json.dumps(payload).encode()
    except ValueError:
        pass
    return web.Response(body=body, status=status, content_type="application/json")


def main() -> None:
    port, target = int(sys.argv[1]), sys.argv[2]
    app = web.Application()
    app["target"] = target
    app.router.add_post("/graphql", forward)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
