"""Allow ``python -m boroughkit.cli``."""

from boroughkit.cli import main

main()
