-- wrk: POST /v1/checkouts of one unit: of the hot SKU, of one of 1,000 SKUs at random, or of
-- LAST (the sell-out phase).
-- Counts answers by status per thread; done() prints the totals for bench/inventory.sh.
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    mode = args[1] or "hot"
    created, refused, unavailable, other = 0, 0, 0, 0
    math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
    local sku = "HOT"
    if mode == "last" then sku = "LAST" end
    if mode == "spread" then sku = string.format("SKU-%04d", math.random(0, 999)) end
    return wrk.format("POST", "/v1/checkouts", nil, '{"lines":[{"sku":"' .. sku .. '","quantity":1}]}')
end

function response(status, headers, body)
    if status == 201 then created = created + 1
    elseif status == 409 then refused = refused + 1
    elseif status == 503 then unavailable = unavailable + 1
    else other = other + 1 end
end

function done(summary, latency, requests)
    local c, r, u, o = 0, 0, 0, 0
    for _, thread in ipairs(threads) do
        c = c + thread:get("created"); r = r + thread:get("refused")
        u = u + thread:get("unavailable"); o = o + thread:get("other")
    end
    io.write(string.format("STATUSES created=%d refused=%d unavailable=%d other=%d\n", c, r, u, o))
end
