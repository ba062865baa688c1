"""The Monte Carlo engine, pure numpy: a scenario compiled to arrays, the index tables over
them, random draws and samplers, and the round loop that turns one block into counts."""
