-- validate: offers outside any committed decoder.
--
-- h0's decoder maps only the second GiB of the device's region, but the FM
-- does not know decoders: first fit offers the first GiB.  A host must
-- refuse every such offer.  h1 maps the whole region and is offered what
-- lies inside.
scenario{ name = "outside-decoder", duration = "1min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", capacity = "4GiB" }
host{ name = "h0", device = "dcd0", decoder_offset = "1GiB", decoder_length = "1GiB" }
host{ name = "h1", device = "dcd0" }

at("1s", function()
	add{ host = "h0", size = "64MiB", hold = "2s" }
	add{ host = "h1", size = "64MiB", hold = "2s" }
end)
at("2s", function()
	add{ host = "h0", size = "128MiB", hold = "2s" }
end)
