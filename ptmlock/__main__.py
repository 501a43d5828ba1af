"""``python -m ptmlock``."""

import sys

from ptmlock.cli import main

sys.exit(main())
