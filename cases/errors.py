"""The one error of the dossier services."""


class ActionRefused(Exception):
    """A change to a dossier was refused. Its message, already in the active language,
    says why, for the person who asked (staff, or a reporter on the follow-up page)."""
