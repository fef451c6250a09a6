"""Sends N requests of one workload, one after the other on one keep-alive connection.

Used by bench/callgrind.sh, where the server runs under valgrind and a load generator's
concurrency would only queue. The requests are the ones bench/wrk/workload.lua sends (same
queries, tokens and sample ids; W2 walks the same provinces page by page). Exits non-zero if a
response is not 200 or carries GraphQL errors, so a count never includes refused requests.

    python3 bench/tools/drive.py ctex|floor w1|w2 DATA_DIR PORT N
"""

import http.client
import json
import sys

W1 = (
    "query Case($id: ID!) { case(id: $id) { id caseNumber title status province parties "
    "{ role person { fullName identifiers { kind value normalized } } } } }"
)
W2 = (
    "query Cases($p: [String!], $s: [CaseStatus!], $after: String) { cases(first: 50, "
    "after: $after, filter: { province: $p, status: $s }) { nodes { id caseNumber title status "
    "province leadAgency openedAt } pageInfo { endCursor hasNextPage } } }"
)
PROVINCES = ["40", "42", "38", "10", "02", "11", "14", "20"]


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def main():
    target, workload, data, port, n = sys.argv[1:6]
    n = int(n)
    tokens = lines(f"{data}/{'tokens_w2.txt' if workload == 'w2' else 'tokens_read.txt'}")
    cases = lines(f"{data}/w1_cases.txt") if workload == "w1" else []
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
    cursor, province = None, 0
    for i in range(n):
        agency = "police" if i % 2 == 0 else "procuracy"
        if workload == "w1":
            case = cases[i % len(cases)]
            if target == "ctex":
                body = {"query": W1, "variables": {"id": case}}
            else:
                body = {"id": case, "agency": agency}
            path = "/graphql" if target == "ctex" else "/w1"
        else:
            p = PROVINCES[province]
            if target == "ctex":
                body = {
                    "query": W2,
                    "variables": {"p": [p], "s": ["UNDER_INVESTIGATION"], "after": cursor},
                }
            else:
                body = {
                    "province": [p],
                    "status": ["UNDER_INVESTIGATION"],
                    "first": 50,
                    "after": cursor,
                    "agency": agency,
                }
            path = "/graphql" if target == "ctex" else "/w2"
        headers = {"Content-Type": "application/json"}
        if target == "ctex":
            headers["Authorization"] = "Bearer " + tokens[i % len(tokens)]
            headers["X-Access-Purpose"] = "benchmark review"
        conn.request("POST", path, json.dumps(body), headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8")
        if resp.status != 200 or '"errors"' in text:
            sys.exit(f"request {i}: {resp.status} {text[:300]}")
        if workload == "w2":
            reply = json.loads(text)
            info = reply["data"]["cases"]["pageInfo"]  # the floor answers in ctex's shape
            if info.get("hasNextPage") and info.get("endCursor"):
                cursor = info["endCursor"]
            else:
                cursor, province = None, (province + 1) % len(PROVINCES)


if __name__ == "__main__":
    main()
