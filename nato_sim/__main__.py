"""`python -m nato_sim` runs the command line."""

from nato_sim.cli import main

if __name__ == "__main__":
    main()
