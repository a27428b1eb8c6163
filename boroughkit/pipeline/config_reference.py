"""The README's config reference, generated from the config models of every release method.

``python3 -m boroughkit.pipeline.config_reference`` prints it; with ``--write README.md`` it
replaces the README's section between ``<!-- config-reference:start -->`` and
``<!-- config-reference:end -->``. A test fails when the README and the models differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from boroughkit.config.reference import model_reference, splice
from boroughkit.methods import CONFIG_MODEL


def config_reference() -> str:
    """Markdown listing every key of a pipeline config, including each release method's
    ``release:`` section, with its type, default and description."""
    return model_reference(CONFIG_MODEL)


def main(argv: list[str] | None = None) -> int:
    """Print the reference, or write it into a README between its markers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="the README to update in place")
    options = parser.parse_args(argv)
    text = config_reference()
    if options.write is None:
        sys.stdout.write(text)
        return 0
    path: Path = options.write
    path.write_text(splice(path.read_text(encoding="utf-8"), text), encoding="utf-8")
    print(f"wrote the config reference into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
