-- wrk: GET /v1/recs/users/{user}?limit=10 for a user picked at random from the file named by the
-- first script argument (one id a line: bench/recs.sh writes the users it imported).
local users = {}

function init(args)
    for line in io.lines(args[1]) do
        if line ~= "" then users[#users + 1] = line end
    end
    assert(#users > 0, "no users in " .. tostring(args[1]))
    math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
    return wrk.format("GET", "/v1/recs/users/" .. users[math.random(#users)] .. "?limit=10")
end
