"""`python -m neuralab ...` is the same as `neuralab ...`."""

import sys

from neuralab.cli import main

sys.exit(main())
