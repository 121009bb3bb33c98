"""Case 17-1's text pipeline: the corpus and its vocabulary, the n-gram baselines, and generation
one character at a time."""
