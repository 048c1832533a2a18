"""The Qt-free core: data model, storage, services and reference data."""
