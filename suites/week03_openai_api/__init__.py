"""Week 3: the OpenAI API from the client side (roadmap Day 19-21), against our own server."""
