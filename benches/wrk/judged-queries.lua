-- wrk script: GET /api/search for each judged query of the relevance suite
-- (tests/relevance/queries.tsv, with its section), in turn, so a load test
-- measures a mix of distinct searches rather than one repeated request.
--
--   wrk -t2 -c16 -d20s -s benches/wrk/judged-queries.lua http://127.0.0.1:3000
--
-- Run from the repository root, or set KAIZEN_WA_QUERIES to the file.

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local file = os.getenv("KAIZEN_WA_QUERIES") or "tests/relevance/queries.tsv"
local paths = {}
for line in io.lines(file) do
  if line ~= "" and line:sub(1, 1) ~= "#" then
    local cols = {}
    for col in (line .. "\t"):gmatch("([^\t]*)\t") do
      cols[#cols + 1] = col
    end
    local path = "/api/search?q=" .. encode(cols[2])
    local section = cols[4]
    if section ~= nil and section ~= "" and section ~= "-" then
      path = path .. "&section=" .. encode(section)
    end
    paths[#paths + 1] = path
  end
end

local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
