"""``python -m sksmooth`` runs the ``sksmooth`` command."""

import sys

from .cli import main

sys.exit(main())
