"""Week 12: integration (roadmap Day 78-87) and stage 4: the inference engine end to end,
flash and paged attention, batching, speculative decoding."""
