"""Action items made from a recovery case's "what we will do differently"."""
