"""``python -m server.cli``: the same as the ``barometre`` console script."""

from server.cli import main

main()
