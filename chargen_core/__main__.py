"""`python -m chargen_core ...` runs the headless CLI."""
import sys

from .cli import main

sys.exit(main())
