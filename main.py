"""Start convviz: `python main.py` opens the window; `python main.py --help` lists the commands."""

import sys

from convviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
