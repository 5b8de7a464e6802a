"""The errors of the dossier services."""


class ActionRefused(Exception):
    """A change to a dossier was refused. Its message, already in the active language,
    says why, for the person who asked (staff, or a reporter on the follow-up page)."""


class EvidenceNotStored(Exception):
    """An evidence file could not be written (a full or failing disk). Nothing of the
    change it belonged to was saved, and no part of the file is left on disk; each page
    says so in its own words."""
