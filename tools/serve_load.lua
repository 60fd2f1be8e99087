-- wrk script (LuaJIT: no // operator) for tools/serve_load.sh: a mix of text searches and thumbnails (ids from the
-- environment variable THUMB_IDS, space separated), each connection cycling through them.
local queries = {"a%20green%20triangle", "red%20circle", "a%20blue%20square%20-yellow", "2:black%20+hexagon"}
local ids = {}
for id in string.gmatch(os.getenv("THUMB_IDS") or "", "%S+") do ids[#ids + 1] = id end
local n = 0
request = function()
    n = n + 1
    if n % 2 == 0 and #ids > 0 then
        return wrk.format("GET", "/api/thumb?id=" .. ids[math.floor(n / 2) % #ids + 1])
    end
    return wrk.format("GET", "/api/search?k=24&q=" .. queries[n % #queries + 1])
end
