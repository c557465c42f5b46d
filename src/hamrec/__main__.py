"""``python -m hamrec``: the ``hamrec`` command, for an environment whose scripts folder is not on the PATH."""

import sys

from .cli.main import main

sys.exit(main())
