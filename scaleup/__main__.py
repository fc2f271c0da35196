"""``python -m scaleup``."""

from .cli import main

main(prog_name="scaleup")
