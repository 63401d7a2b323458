-- Fails on line 4.
local t = {}
local function f() return t.missing.field end
local x = f() + 1
