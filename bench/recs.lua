-- wrk: GET /v1/recs/users/{user}?limit=10 for a user picked at random from the file named by the
-- first script argument (one id a line: bench/recs.sh writes the users it imported). Each user's
-- request is formatted once, in init(), as wrk's scripting guide advises for a fast server:
-- building one per request in Lua cost the client about a microsecond of the CPU it shares with
-- the node.
local requests = {}

function init(args)
    for line in io.lines(args[1]) do
        if line ~= "" then requests[#requests + 1] = wrk.format("GET", "/v1/recs/users/" .. line .. "?limit=10") end
    end
    assert(#requests > 0, "no users in " .. tostring(args[1]))
    math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
    return requests[math.random(#requests)]
end
