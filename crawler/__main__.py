import sys

from crawler.cli import console

sys.exit(console())
