"""Sends N requests of one workload, one after the other on one keep-alive connection.

Used by bench/callgrind.sh, where the server runs under valgrind and a load generator's
concurrency would only queue. The requests are the ones bench/wrk/workload.lua sends (same
queries, tokens and sample ids; W2 walks the same provinces page by page). Exits non-zero if a
response is not 200 or carries GraphQL errors, so a count never includes refused requests.

    python3 bench/tools/drive.py ctex|floor w1|w2|w3 DATA_DIR PORT N
"""

import http.client
import json
import sys
import time

W1 = (
    "query Case($id: ID!) { case(id: $id) { id caseNumber title status province parties "
    "{ role person { fullName identifiers { kind value normalized } } } } }"
)
W2 = (
    "query Cases($p: [String!], $s: [CaseStatus!], $after: String) { cases(first: 50, "
    "after: $after, filter: { province: $p, status: $s }) { nodes { id caseNumber title status "
    "province leadAgency openedAt } pageInfo { endCursor hasNextPage } } }"
)
OPEN = "mutation Open($i: OpenCaseInput!) { openCase(input: $i) { id version status } }"
PARTY = (
    "mutation Party($i: AddPartyInput!) { addParty(input: $i) { id role person { id fullName } } }"
)
PROVINCES = ["40", "42", "38", "10", "02", "11", "14", "20"]
TOKENS = {"w1": "tokens_read.txt", "w2": "tokens_w2.txt", "w3": "tokens_write.txt"}


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def main():
    target, workload, data, port, n = sys.argv[1:6]
    n = int(n)
    tokens = lines(f"{data}/{TOKENS[workload]}")
    cases = lines(f"{data}/{workload}_cases.txt") if workload in ("w1", "w3") else []
    run = f"{target}-{int(time.time())}"
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
        elif workload == "w3":
            # As workload.lua: openCase with a new number, then addParty on a sampled case.
            title, name, phone = "Vụ việc kiểm thử tải", f"Nguyễn Thị Kiểm {i}", "0912345678"
            if i % 2 == 0:
                number = f"DRIVE-{run}-{i}"
                if target == "ctex":
                    i_ = {"caseNumber": number, "title": title, "province": "40"}
                    i_["legalBasis"] = "ART_150"
                    body = {"query": OPEN, "variables": {"i": i_}}
                else:
                    body = {"caseNumber": number, "title": title, "province": "40"}
                path = "/graphql" if target == "ctex" else "/w3/open"
            else:
                case = cases[i % len(cases)]
                if target == "ctex":
                    person = {"fullName": name, "phone": phone}
                    i_ = {"caseId": case, "role": "VICTIM", "person": person}
                    body = {"query": PARTY, "variables": {"i": i_}}
                else:
                    body = {"caseId": case, "fullName": name, "phone": phone}
                path = "/graphql" if target == "ctex" else "/w3/party"
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
