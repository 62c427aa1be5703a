"""``python -m kinabot``: the command line, for when the console script is not on PATH."""

from kinabot.cli import main

main()
