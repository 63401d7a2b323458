scenario{ duration = "10s" }
local function helper(t)
	return t.missing.field
end
helper({})
