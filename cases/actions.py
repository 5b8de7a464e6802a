"""The actions posted from a dossier's page: one small view each, which checks the form
and calls one service. The services ask the workflow table and the access rules under
the dossier's row lock; these views only gather the input and say what happened."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from institute.roles import Role

from . import services
from .access import dossier_for, staff_view, visible_dossier, visible_dossiers
from .choices import AccessAction
from .errors import ActionRefused
from .forms import (
    AssignForm,
    ContactForm,
    LocationPlatformForm,
    MessageForm,
    NoteForm,
    ReferralForm,
    ReferralOutcomeForm,
    StatusForm,
    TakedownAnswerForm,
    TakedownForm,
    TriageForm,
    active_platforms,
)
from .models import Dossier
from .views import detail_page
from .workflow import STATUS_MOVES, Action


def dossier_action(
    form_class: type,
    success: str,
    *,
    prefix: str | Callable[[dict], str],
    form_kwargs: Callable[[Dossier], dict] | None = None,
    roles: tuple[Role, ...] = (),
    part_of: tuple[str, str] | None = None,
) -> Callable:
    """A view for one action posted from the dossier page. The decorated function gets
    the dossier and the form's data and calls one service.

    An invalid form shows the page again with its errors (400). What the service
    refuses (the workflow, or the dossier no longer being this person's) comes back as
    an error message, with nothing changed. ``part_of`` (a relation of the dossier and
    the URL's argument) names a takedown or referral that must be the dossier's: any
    other answers 404 before anything else."""

    def decorator(run: Callable) -> Callable:
        @require_POST
        @staff_view(*roles)
        @wraps(run)
        def view(request: HttpRequest, pk: int, **kwargs) -> HttpResponse:
            name = prefix(kwargs) if callable(prefix) else prefix
            if part_of is not None:
                relation, argument = part_of
                seen = visible_dossier(request.user, pk, request=request)
                get_object_or_404(getattr(seen, relation), pk=kwargs[argument])
            dossier = dossier_for(request, pk, action=AccessAction.CHANGE)
            extra = form_kwargs(dossier) if form_kwargs else {}
            form = form_class(request.POST, prefix=name, **extra)
            if not form.is_valid():
                return detail_page(request, dossier, bound={name: form}, status=400)
            try:
                run(request, dossier, form.cleaned_data, **kwargs)
            except ActionRefused as error:
                messages.error(request, str(error))
            else:
                messages.success(request, success)
                if not visible_dossiers(request.user).filter(pk=dossier.pk).exists():
                    # A case worker who closed a new, unassigned dossier no longer sees it.
                    return redirect("cases:dossier-list")
            return redirect("cases:dossier-detail", pk=dossier.pk)

        return view

    return decorator


@dossier_action(TriageForm, gettext_lazy("The dossier has been triaged."), prefix="triage")
def dossier_triage(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_triage(
        dossier_id=dossier.pk,
        accept=data["decision"] == "accept",
        note=data["note"],
        by=request.user,
    )


@dossier_action(
    AssignForm,
    gettext_lazy("The assignment has been saved."),
    prefix="assign",
    roles=(Role.COORDINATOR,),
)
def dossier_assign(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_assign(dossier_id=dossier.pk, to=data["assignee"], by=request.user)


def _move_named(kwargs: dict) -> str:
    if kwargs["move"] not in STATUS_MOVES:
        raise Http404
    return kwargs["move"]


@dossier_action(StatusForm, gettext_lazy("The status has been changed."), prefix=_move_named)
def dossier_status(request: HttpRequest, dossier: Dossier, data: dict, move: str) -> None:
    """Wait (for someone), resume, close (with a reason) or reopen."""
    common = {"dossier_id": dossier.pk, "note": data["note"], "by": request.user}
    if move == Action.WAIT:
        services.dossier_wait(waiting_for=data["waiting_for"], **common)
    elif move == Action.RESUME:
        services.dossier_resume(**common)
    elif move == Action.CLOSE:
        services.dossier_close(closure_reason=data["closure_reason"], **common)
    else:
        services.dossier_reopen(**common)


@dossier_action(NoteForm, gettext_lazy("The note has been added."), prefix="note")
def dossier_note(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_note_add(dossier_id=dossier.pk, text=data["text"], by=request.user)


@dossier_action(
    MessageForm,
    gettext_lazy("The message has been sent. The reporter reads it on their follow-up page."),
    prefix="message",
)
def dossier_message(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_message_reporter(dossier_id=dossier.pk, text=data["text"], by=request.user)


@dossier_action(ContactForm, gettext_lazy("The contact has been recorded."), prefix="contact")
def dossier_contact(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_contact_record(
        dossier_id=dossier.pk,
        method=data["method"],
        at=data["at"],
        note=data["note"],
        by=request.user,
    )


@dossier_action(
    TakedownForm,
    gettext_lazy("The takedown request has been recorded."),
    prefix="takedown",
    form_kwargs=lambda dossier: {"locations": dossier.locations.all()},
)
def takedown_create(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.takedown_request_record(
        location_id=data["location"],
        sent_to=data["sent_to"],
        method=data["method"],
        legal_basis=data["legal_basis"],
        sent_at=data["sent_at"],
        deadline=data["deadline"],
        note=data["note"],
        notice_language=data["notice_language"],
        notice_sha256=data["notice_sha256"],
        by=request.user,
    )


@dossier_action(
    TakedownAnswerForm,
    gettext_lazy("The platform's answer has been recorded."),
    prefix=lambda kwargs: f"takedown-{kwargs['takedown_pk']}",
    part_of=("takedowns", "takedown_pk"),
)
def takedown_answer(request: HttpRequest, dossier: Dossier, data: dict, takedown_pk: int) -> None:
    services.takedown_answer_record(
        takedown_id=takedown_pk,
        note=data["note"],
        by=request.user,
        **TakedownAnswerForm.steps_from(data),
    )


@dossier_action(
    LocationPlatformForm,
    gettext_lazy("The platform has been saved."),
    prefix=lambda kwargs: f"location-{kwargs['location_pk']}",
    part_of=("locations", "location_pk"),
    form_kwargs=lambda dossier: {"platforms": active_platforms()},
)
def location_platform(request: HttpRequest, dossier: Dossier, data: dict, location_pk: int) -> None:
    services.location_platform_set(
        location_id=location_pk, platform_id=data["platform"], by=request.user
    )


@dossier_action(ReferralForm, gettext_lazy("The referral has been recorded."), prefix="referral")
def referral_create(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.referral_record(
        dossier_id=dossier.pk,
        kind=data["kind"],
        referred_on=data["referred_on"],
        note=data["note"],
        by=request.user,
    )


@dossier_action(
    ReferralOutcomeForm,
    gettext_lazy("The outcome has been recorded."),
    prefix=lambda kwargs: f"referral-{kwargs['referral_pk']}",
    part_of=("referrals", "referral_pk"),
)
def referral_outcome(request: HttpRequest, dossier: Dossier, data: dict, referral_pk: int) -> None:
    services.referral_outcome_record(
        referral_id=referral_pk,
        outcome=data["outcome"],
        outcome_on=data["outcome_on"],
        note=data["note"],
        by=request.user,
    )
