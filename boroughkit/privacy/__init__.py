"""The privacy layer: exact budget types, the persistent ledger and its store, and the only
module that imports OpenDP (``opendp_adapter``)."""
