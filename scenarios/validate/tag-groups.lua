-- validate: tag groups.
--
-- Two tagged adds share tag 7 and a third has tag 8; the FM then releases
-- tag 7 while part of it is in use.  Linux v9 refuses tagged extents;
-- v10/v11 accept them and release a tag group only whole.
scenario{ name = "tag-groups", duration = "1min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 2, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB" }
host{ name = "h0", device = "dcd0" }

at("1s", function()
	add{ host = "h0", size = "16MiB", tag = 7, use = 1.0, use_for = "3s" }
	add{ host = "h0", size = "16MiB", tag = 7 }
	add{ host = "h0", size = "16MiB", tag = 8, hold = "2s" }
end)
at("3s", function()
	release{ host = "h0", tag = 7 }
end)
