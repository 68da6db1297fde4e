import sys

from aacr_lib.cli import main

sys.exit(main())
