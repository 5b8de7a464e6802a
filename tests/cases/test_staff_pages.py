"""The staff dossier list and detail, for each persona."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.choices import LegalBasis, Priority, TakedownMethod
from cases.models import AccessLogEntry
from cases.services import (
    dossier_assign,
    dossier_contact_record,
    dossier_note_add,
    dossier_update_details,
    referral_record,
    takedown_outcome_record,
    takedown_request_record,
)
from tests.factories import DossierFactory, location

pytestmark = pytest.mark.django_db

LIST = reverse("cases:dossier-list")


@pytest.fixture
def assigned(users):
    dossier = DossierFactory(
        reporter_email="secret.reporter@example.invalid", description="a private story"
    )
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    return dossier


def _detail(dossier) -> str:
    return reverse("cases:dossier-detail", args=[dossier.pk])


@pytest.mark.parametrize(
    ("persona", "list_status", "detail_status"),
    [
        ("coordinator", 200, 200),
        ("caseworker", 200, 200),  # assigned to them
        ("caseworker2", 200, 404),  # someone else's
        ("management", 403, 403),
        ("admin", 403, 403),
    ],
)
def test_each_persona_gets_what_its_role_allows(
    client, users, assigned, persona, list_status, detail_status
):
    client.force_login(users[persona])
    listing = client.get(LIST)
    detail = client.get(_detail(assigned))
    assert (listing.status_code, detail.status_code) == (list_status, detail_status)
    for response in (listing, detail):
        body = response.content.decode()
        assert ("secret.reporter@example.invalid" in body) == (
            response is detail and detail_status == 200
        )
    assert AccessLogEntry.objects.filter(user=users[persona]).count() == (detail_status == 200)


def test_anonymous_visitors_are_sent_to_the_login_page(client, assigned):
    for url in (LIST, _detail(assigned)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_list_shows_what_the_user_may_see_and_filters(client, users, assigned):
    other = DossierFactory(priority=Priority.URGENT, form_ncii=False, form_voyeurism=True)
    client.force_login(users["caseworker2"])
    html = client.get(LIST).content.decode()
    assert other.reference in html and assigned.reference not in html
    client.force_login(users["coordinator"])
    html = client.get(LIST, {"form": "voyeurism"}).content.decode()
    assert other.reference in html and assigned.reference not in html
    html = client.get(LIST, {"assignee": str(users["caseworker"].pk)}).content.decode()
    assert assigned.reference in html and other.reference not in html
    html = client.get(LIST, {"q": assigned.reference}).content.decode()
    assert assigned.reference in html and other.reference not in html


def test_the_coordinator_reads_the_access_log(client, users, assigned):
    client.force_login(users["caseworker"])
    assert "access-log" not in client.get(_detail(assigned)).content.decode()
    client.force_login(users["coordinator"])
    html = client.get(_detail(assigned)).content.decode()
    log = html[html.index('class="small list-unstyled access-log"') :]
    log = log[: log.index("</ul>")]
    assert log.count("<li>") == 2  # the case worker's view, then the coordinator's
    assert " · caseworker · " in log and " · coordinator · " in log


def _queries_for_list(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, {"status": "all"}).status_code == 200
    return len(queries)


def test_the_list_runs_the_same_number_of_queries_at_10_and_at_200_dossiers(client, users):
    client.force_login(users["coordinator"])
    for _ in range(10):
        dossier_assign(dossier_id=DossierFactory().pk, to=users["caseworker"])
    at_10 = _queries_for_list(client)
    for _ in range(190):
        DossierFactory()
    at_200 = _queries_for_list(client)
    assert at_10 == at_200


def _busy(dossier, users, rounds: int) -> None:
    """Give a dossier ``rounds`` of everything: locations with takedowns and outcomes,
    referrals, notes, messages, contacts, corrections."""
    worker = users["caseworker"]
    for n in range(rounds):
        spot = location(url=f"https://site.example/{n}")
        spot.dossier = dossier
        spot.save()
        takedown = takedown_request_record(
            location_id=spot.pk,
            sent_to="Desk",
            method=TakedownMethod.EMAIL,
            legal_basis=LegalBasis.DSA_NOTICE,
            by=worker,
        )
        takedown_outcome_record(takedown_id=takedown.pk, outcome="removed", by=worker)
        referral_record(
            dossier_id=dossier.pk, kind="police", referred_on=timezone.localdate(), by=worker
        )
        dossier_note_add(dossier_id=dossier.pk, text=f"note {n}", by=worker)
        dossier_contact_record(dossier_id=dossier.pk, method="phone", by=worker)
        dossier_update_details(
            dossier_id=dossier.pk, changes={"language": ["fr", "nl"][n % 2]}, by=worker
        )


def test_the_dossier_page_runs_the_same_number_of_queries_however_busy(client, users):
    client.force_login(users["coordinator"])
    quiet, busy = DossierFactory(), DossierFactory()
    _busy(quiet, users, 1)
    _busy(busy, users, 12)

    def queries(dossier) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_detail(dossier)).status_code == 200
        return len(captured)

    assert queries(quiet) == queries(busy)


def test_urgent_and_overdue_dossiers_come_first_where_coordinators_land(client, users):
    from datetime import timedelta

    from django.utils import timezone

    from cases.choices import YesNoUnknown

    now = timezone.now()
    recent = DossierFactory(received_at=now - timedelta(hours=1))
    overdue = DossierFactory(received_at=now - timedelta(days=10))
    urgent = DossierFactory(
        received_at=now - timedelta(hours=2), person_minor_on_images=YesNoUnknown.YES
    )
    older_new = DossierFactory(received_at=now - timedelta(hours=5))
    client.force_login(users["coordinator"])
    page = client.get("/staff/dossiers/?sort=attention").content.decode()
    order = [
        page.index(f'data-dossier="{d.reference}"') for d in (urgent, overdue, older_new, recent)
    ]
    assert order == sorted(order)


def test_takedowns_due_say_how_late_they_are(client, users):
    from tests.factories import late_takedown

    late_takedown(hours_ago=72)
    client.force_login(users["coordinator"])
    page = client.get("/staff/dossiers/takedowns/").content.decode()
    assert "data-late" in page


def _menu_counts(client) -> dict[str, int]:
    import re

    html = client.get(LIST).content.decode()
    nav = html[html.index("<nav") : html.index("</nav>")]
    found = re.findall(r'href="([^"]+)"[^>]*>[^<]*<span[^>]*data-menu-count[^>]*>(\d+)</span>', nav)
    return {href: int(count) for href, count in found}


def test_the_menu_says_how_much_work_waits_behind_each_entry(client, users):
    from datetime import timedelta

    from tests.factories import late_takedown

    now = timezone.now()
    for _ in range(3):
        DossierFactory(received_at=now - timedelta(hours=1))
    DossierFactory(received_at=now - timedelta(days=10))  # first contact late
    mine = DossierFactory(received_at=now - timedelta(days=10))
    dossier_assign(dossier_id=mine.pk, to=users["caseworker"])
    theirs = DossierFactory()
    dossier_assign(dossier_id=theirs.pk, to=users["caseworker2"])
    late_takedown(hours_ago=240)  # new and unassigned, received 11 days ago: also late

    client.force_login(users["coordinator"])
    assert _menu_counts(client) == {
        f"{LIST}?sort=attention": 7,
        f"{LIST}?assignee=me&amp;sort=attention": 0,
        f"{LIST}?assignee=none&amp;status=new": 5,
        f"{LIST}?overdue=on": 3,
        reverse("cases:takedowns-due"): 1,
    }
    # A case worker counts what they may see: their own and the new unassigned ones.
    client.force_login(users["caseworker"])
    counts = _menu_counts(client)
    assert counts[f"{LIST}?sort=attention"] == 6
    assert counts[f"{LIST}?assignee=me&amp;sort=attention"] == 1
    assert counts[f"{LIST}?overdue=on"] == 3


def test_each_menu_count_is_read_out_with_its_meaning(client, users):
    DossierFactory()
    client.force_login(users["coordinator"])
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    nav = html[html.index("<nav") : html.index("</nav>")]
    assert nav.count('aria-hidden="true">') == nav.count("data-menu-count") == 5
    assert nav.count('<span class="visually-hidden">(') == 5
    assert "(1 waiting)" in nav
