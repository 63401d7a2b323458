-- Distributions of sizes and times, as tables the C side reads: `dist`
-- names the kind, the other keys are its parameters, in the quantity's
-- unit ("2MiB", "10s", or a bare number of bytes or nanoseconds) except the
-- shape parameters, which are plain numbers.  docs/scenario-api.md.
local M = {}

-- Always VALUE.
function M.fixed(value)
	return { dist = "fixed", value = value }
end

-- Uniform on [LOW, HIGH).
function M.uniform(low, high)
	return { dist = "uniform", low = low, high = high }
end

-- Exponential of mean MEAN.
function M.exponential(mean)
	return { dist = "exponential", mean = mean }
end
M.exp = M.exponential

-- Normal of mean MEAN and standard deviation SD, negative draws clamped to 0.
function M.normal(mean, sd)
	return { dist = "normal", mean = mean, sd = sd }
end

-- Lognormal of median MEDIAN; SIGMA is the deviation of the log.
function M.lognormal(median, sigma)
	return { dist = "lognormal", median = median, sigma = sigma }
end

-- Pareto (type I) of scale (minimum) SCALE and shape SHAPE.
function M.pareto(scale, shape)
	return { dist = "pareto", scale = scale, shape = shape }
end

-- Weibull of scale SCALE and shape SHAPE.
function M.weibull(scale, shape)
	return { dist = "weibull", scale = scale, shape = shape }
end

return M
