"""Running the engine: seeding, blocks of trials, worker processes, stopping rules."""
