"""Writes to dossiers: one function per use case, each one transaction. Views, forms,
management commands, tasks, the demo data and the import of earlier records all call
these; nothing else writes a dossier, and nothing important happens in ``save()`` or in
signals.

- ``receiving``: a new dossier, its reference, its evidence files;
- ``handling``: triage, assignment, status moves, notes, messages, contacts, corrections;
- ``takedowns``: requests to platforms and referrals, and what came of them;
- ``followup``: what the reporter adds or changes on the follow-up page.

Each checks the workflow table (``cases.workflow``) under the dossier's row lock and
refuses with ``cases.errors.ActionRefused``.
"""

from ..errors import ActionRefused, EvidenceNotStored
from .followup import reporter_contact_change, reporter_followup_add, reporter_withdraw
from .handling import (
    DETAIL_FIELDS,
    dossier_assign,
    dossier_close,
    dossier_contact_record,
    dossier_message_reporter,
    dossier_note_add,
    dossier_reopen,
    dossier_resume,
    dossier_triage,
    dossier_update_details,
    dossier_wait,
)
from .receiving import (
    SubmittedReport,
    check_dossier_evidence_room,
    dossier_create,
    dossier_for_receipt_code,
    evidence_attach,
    next_reference,
    previous_submission,
    report_submit,
    reserve_references,
)
from .takedowns import (
    location_platform_set,
    referral_outcome_record,
    referral_record,
    referrals_suggested,
    takedown_answer_record,
    takedown_outcome_record,
    takedown_request_record,
)

__all__ = [
    "DETAIL_FIELDS",
    "ActionRefused",
    "EvidenceNotStored",
    "SubmittedReport",
    "check_dossier_evidence_room",
    "dossier_assign",
    "dossier_close",
    "dossier_contact_record",
    "dossier_create",
    "dossier_for_receipt_code",
    "dossier_message_reporter",
    "dossier_note_add",
    "dossier_reopen",
    "dossier_resume",
    "dossier_triage",
    "dossier_update_details",
    "dossier_wait",
    "evidence_attach",
    "location_platform_set",
    "next_reference",
    "previous_submission",
    "referral_outcome_record",
    "referral_record",
    "referrals_suggested",
    "report_submit",
    "reporter_contact_change",
    "reporter_followup_add",
    "reporter_withdraw",
    "reserve_references",
    "takedown_answer_record",
    "takedown_outcome_record",
    "takedown_request_record",
]
