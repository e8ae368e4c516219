import sys

from morlbench.cli import main

sys.exit(main())
