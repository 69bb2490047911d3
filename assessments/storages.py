"""Where assessments keep files: signed attestation PDFs outside the web root."""


def attestation_storage():
    """The ``attestations`` storage of settings.STORAGES: outside the web root, served only through the app."""
    from django.core.files.storage import storages

    return storages["attestations"]
