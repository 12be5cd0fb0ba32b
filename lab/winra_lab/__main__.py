"""`python -m winra_lab ...` (see winra_lab.cli)."""

import sys

from winra_lab.cli import main

sys.exit(main())
