"""The dossier's workflow, in one table.

For each action staff take on a dossier: the statuses it may be taken from, the statuses
it leads to (for the actions that move the dossier) and the roles that may take it. The
services check it under the dossier's row lock (``check``); the dossier page offers what
``actions_allowed`` says; nothing else encodes these rules. One action is the
reporter's, from the follow-up page (``REPORTER_CONTACT``): it lists no staff role.

Two things sit beside the table: who may see a dossier at all (``cases.access``), and
that an anonymised dossier allows nothing (its personal data are gone for good).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _

from institute.roles import Role, roles_of

from .access import visible_dossiers
from .choices import Status
from .errors import ActionRefused


class Action(StrEnum):
    TRIAGE = "triage"
    ASSIGN = "assign"
    WAIT = "wait"
    RESUME = "resume"
    CLOSE = "close"
    REOPEN = "reopen"
    NOTE = "note"
    MESSAGE = "message"
    CONTACT = "contact"
    DETAILS = "details"
    TAKEDOWN = "takedown"
    TAKEDOWN_OUTCOME = "takedown_outcome"
    REFERRAL = "referral"
    REFERRAL_OUTCOME = "referral_outcome"
    # The reporter's own, on the follow-up page: no staff role takes it.
    REPORTER_CONTACT = "reporter_contact"


@dataclass(frozen=True)
class Rule:
    starts: frozenset[Status]
    roles: frozenset[Role]
    leads_to: frozenset[Status] = frozenset()


OPEN = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING})
ANY = OPEN | {Status.CLOSED}
HANDLERS = frozenset({Role.COORDINATOR, Role.CASE_WORKER})
COORDINATORS = frozenset({Role.COORDINATOR})

WORKFLOW: dict[Action, Rule] = {
    # A new dossier is triaged first: taken into progress, or closed as not competent.
    Action.TRIAGE: Rule(
        frozenset({Status.NEW}), HANDLERS, frozenset({Status.IN_PROGRESS, Status.CLOSED})
    ),
    Action.WAIT: Rule(frozenset({Status.IN_PROGRESS}), HANDLERS, frozenset({Status.WAITING})),
    Action.RESUME: Rule(frozenset({Status.WAITING}), HANDLERS, frozenset({Status.IN_PROGRESS})),
    Action.CLOSE: Rule(
        frozenset({Status.IN_PROGRESS, Status.WAITING}), HANDLERS, frozenset({Status.CLOSED})
    ),
    Action.REOPEN: Rule(frozenset({Status.CLOSED}), HANDLERS, frozenset({Status.IN_PROGRESS})),
    Action.ASSIGN: Rule(OPEN, COORDINATORS),
    Action.NOTE: Rule(ANY, HANDLERS),
    Action.MESSAGE: Rule(ANY, HANDLERS),
    Action.CONTACT: Rule(ANY, HANDLERS),
    Action.DETAILS: Rule(ANY, HANDLERS),
    # Requests to platforms and referrals are made while the dossier is open; what came
    # of a referral can still be recorded once it is closed.
    Action.TAKEDOWN: Rule(OPEN, HANDLERS),
    Action.TAKEDOWN_OUTCOME: Rule(OPEN, HANDLERS),
    Action.REFERRAL: Rule(OPEN, HANDLERS),
    Action.REFERRAL_OUTCOME: Rule(ANY, HANDLERS),
    # The reporter changes how they may be contacted, or stops it, whatever the status:
    # staff may still write once a dossier is closed (by=None: no role of staff allows
    # it; staff correct contact details with DETAILS).
    Action.REPORTER_CONTACT: Rule(ANY, frozenset()),
}

# The moves a triaged dossier's page offers by name (in their URL); triage has its own.
STATUS_MOVES = (Action.WAIT, Action.RESUME, Action.CLOSE, Action.REOPEN)


def anonymised_message() -> str:
    """Why an anonymised dossier cannot be changed, in the active language."""
    return _("The personal data of this dossier were erased; it can no longer be changed.")


def refusal(dossier, action: Action, by=None) -> str | None:
    """Why ``by`` may not take ``action`` on ``dossier`` as it is now, in the active
    language; None if they may. ``by=None`` is the system (demo data, imports, the
    reporter's own additions), held to the statuses but not to roles."""
    if dossier.anonymised_at is not None:
        # Reopening it or adding to it would bring back personal data (a note, a
        # message, a contact) that the retention period says must be gone.
        return anonymised_message()
    rule = WORKFLOW[action]
    status = Status(dossier.status)
    if status not in rule.starts:
        return _status_refusal(action, rule, status)
    if by is not None and not roles_of(by) & rule.roles:
        return _("Your role does not allow this.")
    return None


def _status_refusal(action: Action, rule: Rule, status: Status) -> str:
    if action == Action.TRIAGE:
        return _("This dossier has already been triaged.")
    if len(rule.leads_to) == 1:
        (target,) = rule.leads_to
        return _("A dossier that is “%(old)s” cannot become “%(new)s”.") % {
            "old": status.label,
            "new": target.label,
        }
    if status == Status.CLOSED:
        return _("This dossier is closed; reopen it first.")
    # Not reached with today's table (its open-only actions are refused on closed
    # dossiers only), but any entry may change: every refusal has words.
    return _("This cannot be done while the dossier is “%(status)s”.") % {"status": status.label}


def check(dossier, action: Action, by=None) -> None:
    """Refuse (ActionRefused) what the table does not allow, and, for a person, a
    dossier they may no longer see (an assignment made since they opened it counts).
    Called by the services on the dossier whose row they hold locked."""
    reason = refusal(dossier, action, by)
    if (
        reason is None
        and by is not None
        and not visible_dossiers(by).filter(pk=dossier.pk).exists()
    ):
        reason = _("This dossier is no longer yours to handle.")
    if reason is not None:
        raise ActionRefused(reason)


def actions_allowed(dossier, user) -> frozenset[Action]:
    """What ``user``, who sees ``dossier``, may do with it now: what its page offers."""
    return frozenset(action for action in WORKFLOW if refusal(dossier, action, user) is None)
