import sys

from adloc.cli import main

sys.exit(main())
