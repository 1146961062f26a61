"""`python -m chargen_core.cli ...`: the headless command line without its console script (how a trainer is
started in the background)."""
import sys

from . import main

if __name__ == "__main__":  # importing it (a walk over the package) runs nothing
    sys.exit(main())
