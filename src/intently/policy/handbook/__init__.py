"""Define, shown and tested: the policy's scenarios run through the engine (:mod:`.scenarios`, both its test
suite and its worked examples) and the handbook page rendered from the policy and those examples
(:mod:`.render`). Above :mod:`intently.engine`, which it runs; below everything that reads a store."""
