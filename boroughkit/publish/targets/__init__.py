"""Where a catalogue is copied besides its local folder: an fsspec URL or a CKAN portal.

``--to`` takes ``ckan+https://host`` (CKAN's Action API; token in ``CKAN_API_TOKEN``) or any URL
fsspec understands (``file://``, ``memory://``, ``s3://``, ``az://`` with their plugins), or a
plain folder path.
"""

from __future__ import annotations

from pathlib import Path

from boroughkit.errors import ConfigError

CKAN_PREFIX = "ckan+"


def push_to_target(catalogue: Path, target: str) -> list[str]:
    """Copy the catalogue's public part (or, for CKAN, its releases) to ``target``."""
    if not target.strip():
        raise ConfigError("--to is empty", fix="give a URL such as s3://bucket/catalogue")
    if target.startswith(CKAN_PREFIX):
        from boroughkit.publish.targets.ckan import push_to_ckan

        return push_to_ckan(catalogue, target.removeprefix(CKAN_PREFIX))
    from boroughkit.publish.targets.fsspec_mirror import push_to_fsspec

    url = target if "://" in target else Path(target).resolve().as_uri()
    return push_to_fsspec(catalogue, url)
