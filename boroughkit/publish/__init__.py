"""Publishing: file writers, approval, the versioned catalogue, registers, targets, explorer.

The functions the CLI calls::

    approve_release(catalogue, release_id, by="A. Smith")
    publish_release(catalogue, release_id, to=None)
    retract_release(catalogue, release_id, reason="...")
    append_data_sharing_entry(catalogue, DataSharingEntry(...))
    serve_catalogue(catalogue, port=8000) / export_site(catalogue, out)
"""

from __future__ import annotations

from boroughkit.publish.approval import ApprovalRecord, approve_release
from boroughkit.publish.changes import PublishResult
from boroughkit.publish.publisher import publish_release
from boroughkit.publish.registers import DataSharingEntry, append_data_sharing_entry
from boroughkit.publish.retraction import retract_release
from boroughkit.publish.transaction import recover_catalogue

__all__ = [
    "ApprovalRecord",
    "DataSharingEntry",
    "PublishResult",
    "append_data_sharing_entry",
    "approve_release",
    "export_site",
    "publish_release",
    "recover_catalogue",
    "retract_release",
    "serve_catalogue",
]


def __getattr__(name: str) -> object:
    # The explorer is only imported when asked for.
    if name in ("export_site", "serve_catalogue"):
        from boroughkit.publish import explorer

        return getattr(explorer, name)
    raise AttributeError(f"module 'boroughkit.publish' has no attribute {name!r}")
