"""``python -m optbench``: the ``optbench`` command."""

import sys

from .cli import main

sys.exit(main())
