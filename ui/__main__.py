"""python -m ui [--host H] [--port P] [--seeds DIR] [--index DIR] [--model M] [--no-build]: same as `rag serve`."""

import sys

from rag.cli import main

raise SystemExit(main(["serve", *sys.argv[1:]]))
