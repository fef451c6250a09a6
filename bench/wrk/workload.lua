-- wrk script for every benchmark workload and target (see BENCHMARKS.md).
--
--   wrk -t2 -c32 -d20s -s bench/wrk/workload.lua http://127.0.0.1:PORT -- TARGET WORKLOAD DATA_DIR
--
-- TARGET: ctex | floor | floor-noaudit | peer
-- WORKLOAD: w1 (case with parties, persons, identifiers), w2 (cases page walk),
--           w3 (openCase / addParty, alternating), w4 (identifierHits), net (network depth 3)
-- DATA_DIR: the files bench/setup.sh wrote (tokens and sample ids, one per line).
--
-- Requests rotate through several agencies' tokens and through sample ids, so no two
-- consecutive requests are the same. done() prints one JSON line with the figures; responses
-- carrying GraphQL "errors" (or a non-200 status) are counted as errors.

local counter = 1
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function lines(path)
  local out = {}
  local f = io.open(path, "r")
  if not f then return out end
  for line in f:lines() do
    if line ~= "" then table.insert(out, line) end
  end
  f:close()
  return out
end

local function json_str(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

local target, workload, dir
local tokens, ids, idents
errors = 0 -- global: done() reads it through thread:get
local seq = 0
local cursor, province_i = nil, 1
local provinces = { "40", "42", "38", "10", "02", "11", "14", "20" }

function init(args)
  target, workload, dir = args[1], args[2], args[3]
  math.randomseed(id * 7919 + os.time())
  seq = id * 1000000
  local token_file = ({ w1 = "tokens_read.txt", w2 = "tokens_w2.txt", w3 = "tokens_write.txt",
    w4 = "tokens_hits.txt", net = "tokens_read.txt" })[workload]
  tokens = lines(dir .. "/" .. token_file)
  if workload == "w1" then ids = lines(dir .. "/w1_cases.txt") end
  if workload == "w3" then ids = lines(dir .. "/w3_cases.txt") end
  if workload == "net" then ids = lines(dir .. "/net_cases.txt") end
  if workload == "w4" then idents = lines(dir .. "/w4_identifiers.txt") end
  -- Threads start at different places in the token list (hit/no-hit is rate-limited per subject).
  tok_i = (id - 1) * math.floor(#tokens / 4)
end

-- The floor has no token: it is told the agency, alternating as the ctex tokens do
-- (tokens_read.txt and tokens_w2.txt alternate police and procuracy).
local function floor_agency()
  return (seq % 2 == 0) and "police" or "procuracy"
end

local function pick(list)
  return list[math.random(#list)]
end

local function next_token()
  tok_i = tok_i + 1
  return tokens[(tok_i % #tokens) + 1]
end

local Q = {
  w1 = "query Case($id: ID!) { case(id: $id) { id caseNumber title status province parties { role person { fullName identifiers { kind value normalized } } } } }",
  w2 = "query Cases($p: [String!], $s: [CaseStatus!], $after: String) { cases(first: 50, after: $after, filter: { province: $p, status: $s }) { nodes { id caseNumber title status province leadAgency openedAt } pageInfo { endCursor hasNextPage } } }",
  open = "mutation Open($i: OpenCaseInput!) { openCase(input: $i) { id version status } }",
  party = "mutation Party($i: AddPartyInput!) { addParty(input: $i) { id role person { id fullName } } }",
  w4 = "query Hits($k: IdentifierKind!, $v: String!) { identifierHits(kind: $k, value: $v) { reference holdingAgency contact } }",
  net = "query Net($id: ID!) { network(caseId: $id, depth: 3) { truncated nodes { index kind depth } edges { from to kind } } }",
}

local PEER = {
  w1 = "query Case($id: UUID!) { caseRecordById(id: $id) { id caseNumber title status province casePartiesByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { role personByPersonId { fullName identifiersByPersonId(orderBy: PRIMARY_KEY_ASC) { nodes { kind value normalized } } } } } } }",
  w2 = "query Cases($p: String!, $s: String!, $after: Cursor) { allCaseRecords(first: 50, after: $after, orderBy: PRIMARY_KEY_ASC, condition: { province: $p, status: $s }) { nodes { id caseNumber title status province leadAgency openedAt } pageInfo { endCursor hasNextPage } } }",
}

local function gql(query, variables, token)
  local headers = { ["Content-Type"] = "application/json" }
  if token then
    headers["Authorization"] = "Bearer " .. token
    headers["X-Access-Purpose"] = "benchmark review"
  end
  local body = '{"query":' .. json_str(query) .. ',"variables":' .. variables .. '}'
  return wrk.format("POST", "/graphql", headers, body)
end

local function post(path, body)
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
end

local function w2_vars()
  local p = provinces[province_i]
  local after = cursor and json_str(cursor) or "null"
  return p, after
end

request = function()
  seq = seq + 1
  if workload == "w1" then
    local id = pick(ids)
    if target == "ctex" then return gql(Q.w1, '{"id":"' .. id .. '"}', next_token()) end
    if target == "peer" then return gql(PEER.w1, '{"id":"' .. id .. '"}') end
    local body = '{"id":"' .. id .. '","agency":"' .. floor_agency() .. '"}'
    if target == "floor" then return post("/w1", body) end
    return post("/w1-noaudit", body)
  elseif workload == "w2" then
    local p, after = w2_vars()
    if target == "ctex" then
      return gql(Q.w2, '{"p":["' .. p .. '"],"s":["UNDER_INVESTIGATION"],"after":' .. after .. '}', next_token())
    end
    if target == "peer" then
      return gql(PEER.w2, '{"p":"' .. p .. '","s":"UNDER_INVESTIGATION","after":' .. after .. '}')
    end
    return post("/w2", '{"province":["' .. p .. '"],"status":["UNDER_INVESTIGATION"],"first":50,"after":' .. after .. ',"agency":"' .. floor_agency() .. '"}')
  elseif workload == "w3" then
    if seq % 2 == 0 then
      local number = string.format("BENCH-%s-%d-%d-%d", target, os.time(), seq, math.random(1000000000))
      if target == "ctex" then
        return gql(Q.open, '{"i":{"caseNumber":"' .. number .. '","title":"Vụ việc kiểm thử tải","province":"40","legalBasis":"ART_150"}}', next_token())
      end
      return post("/w3/open", '{"caseNumber":"' .. number .. '","title":"Vụ việc kiểm thử tải","province":"40"}')
    else
      local case = pick(ids)
      local name = "Nguyễn Thị Kiểm " .. seq
      if target == "ctex" then
        return gql(Q.party, '{"i":{"caseId":"' .. case .. '","role":"VICTIM","person":{"fullName":"' .. name .. '","phone":"0912345678"}}}', next_token())
      end
      return post("/w3/party", '{"caseId":"' .. case .. '","fullName":"' .. name .. '","phone":"0912345678"}')
    end
  elseif workload == "w4" then
    local kind, value, normalized = pick(idents):match("([^\t]+)\t([^\t]+)\t([^\t]+)")
    if target == "ctex" then
      return gql(Q.w4, '{"k":"' .. kind .. '","v":' .. json_str(value) .. '}', next_token())
    end
    local path = target == "floor" and "/w4" or "/w4-noaudit"
    return post(path, '{"kind":"' .. kind .. '","normalized":' .. json_str(normalized) .. ',"agency":"police"}')
  else
    return gql(Q.net, '{"id":"' .. pick(ids) .. '"}', next_token())
  end
end

response = function(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("error response: " .. status .. " " .. body:sub(1, 300) .. "\n") end
  end
  if workload == "w2" then
    local c = body:match('"endCursor":"([^"]*)"')
    local more = body:find('"hasNextPage":true', 1, true)
    if c and more then
      cursor = c
    else
      cursor = nil
      province_i = (province_i % #provinces) + 1
    end
  end
end

function done(summary, latency, requests)
  local errs = 0
  for _, t in ipairs(threads) do errs = errs + (t:get("errors") or 0) end
  local secs = summary.duration / 1e6
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"errors":%d,"socket_errors":%d,"p50_ms":%.3f,"p90_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f}\n',
    summary.requests, secs, summary.requests / secs, errs,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
