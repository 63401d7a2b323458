-- Workload helpers over the C declarations workload{} and request{}: each
-- generator is a tenant whose requests the C side produces during the run.
-- docs/scenario-api.md.
local M = {}

-- A copy of T with the arrival set; T must not set it itself.
local function with_arrival(t, arrival, what)
	if type(t) ~= "table" then
		error(what .. "{} takes a table of name = value entries, got " .. type(t), 3)
	end
	if t.arrival ~= nil then
		error(what .. "{} sets the arrival itself (use workload{} to choose it)", 3)
	end
	local copy = { arrival = arrival }
	for k, v in pairs(t) do
		copy[k] = v
	end
	return copy
end

-- Poisson arrivals at RATE ("50/s"): the keys of workload{}.
function M.poisson(t)
	workload(with_arrival(t, "poisson", "poisson"))
end

-- One arrival every PERIOD ("1s"): the keys of workload{}.
function M.periodic(t)
	workload(with_arrival(t, "periodic", "periodic"))
end

-- COUNT requests at once at time AT, then nothing: the keys of workload{}
-- but arrival, period, rate, start, burst and max_requests.
function M.burst(t)
	if type(t) ~= "table" then
		error("burst{} takes a table of name = value entries, got " .. type(t), 2)
	end
	local copy = {}
	for k, v in pairs(t) do
		if k == "arrival" or k == "period" or k == "rate" or k == "start" or k == "burst"
		    or k == "max_requests" then
			error("burst{} sets '" .. k .. "' itself (it takes at and count)", 2)
		end
		copy[k] = v
	end
	if t.count == nil or t.at == nil then
		error("burst{} needs at = time and count = number of requests", 2)
	end
	copy.at, copy.count = nil, nil
	copy.arrival, copy.period, copy.start = "periodic", 1, t.at
	copy.burst, copy.max_requests = t.count, t.count
	workload(copy)
end

-- Columns of a trace that hold numbers or booleans (the others are text,
-- with units where request{} takes them).
local numbers = { use = true, tag = true, region = true }
local booleans = { forced = true }

local function strip_location(message)
	return (tostring(message):gsub("^[^\n]-:%d+: ", "", 1))
end

-- Replays the CSV file FILE of the scenario's folder: one request{} per row,
-- the header naming the columns (at, host, size, and any other key of
-- request{}); DEFAULTS fills the keys a row leaves empty.
function M.trace(file, defaults)
	local rows, lines, path = read_csv(file)
	for i, row in ipairs(rows) do
		local t = {}
		for k, v in pairs(defaults or {}) do
			t[k] = v
		end
		for k, v in pairs(row) do
			if numbers[k] then
				t[k] = tonumber(v)
				if t[k] == nil then
					error(("%s:%d: column '%s' must be a number, got '%s'"):format(
						path, lines[i], k, v), 2)
				end
			elseif booleans[k] then
				if v ~= "true" and v ~= "false" then
					error(("%s:%d: column '%s' must be true or false, got '%s'"):format(
						path, lines[i], k, v), 2)
				end
				t[k] = v == "true"
			else
				t[k] = v
			end
		end
		local where = ("%s:%d"):format(path, lines[i])
		local ok, message = pcall(request, t, where)
		if not ok then
			error(where .. ": " .. strip_location(message), 2)
		end
	end
	return #rows
end

return M
