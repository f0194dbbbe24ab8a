import sys

from graphsiem.cli import main

sys.exit(main())
