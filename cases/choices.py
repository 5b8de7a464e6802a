"""The coded values of dossiers and what is done with them (statuses, forms of abuse,
who reported, takedown outcomes...). Stored as plain text columns; statistics count them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("Online form")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    IN_PERSON = "in_person", _("In person")
    OTHER = "other", _("Other")


class Language(models.TextChoices):
    NL = "nl", _("Dutch")
    FR = "fr", _("French")
    DE = "de", _("German")
    EN = "en", _("English")


class FormOfAbuse(models.TextChoices):
    """The three forms the Institute registers. A dossier involves one or more."""

    NCII = "ncii", _("Non-consensual intimate images")
    VOYEURISM = "voyeurism", _("Voyeurism")
    SEXTORTION = "sextortion", _("Sextortion")

    @property
    def column(self) -> str:
        return f"form_{self.value}"


class ReporterType(models.TextChoices):
    PERSON_CONCERNED = "person_concerned", _("The person concerned")
    ON_BEHALF = "on_behalf", _("Someone on behalf of the person concerned")
    ORGANISATION = "organisation", _("An organisation")
    # Older records (historical import) often say only who reported, not in what role.
    NOT_RECORDED = "not_recorded", _("Not recorded")


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    OTHER = "other", _("Non-binary or self-described")
    NOT_GIVEN = "not_given", _("Not given")


class ReporterCategory(models.TextChoices):
    """Who reported, as the Institute's statistics count it."""

    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    OTHER = "other", _("Other")
    ORGANISATION = "organisation", _("Organisation")
    NOT_GIVEN = "not_given", _("Not given")


class OrganisationKind(models.TextChoices):
    SCHOOL = "school", _("School or education")
    POLICE = "police", _("Police")
    SUPPORT_SERVICE = "support_service", _("Support service")
    YOUTH_SERVICE = "youth_service", _("Youth service")
    HEALTH = "health", _("Health care")
    NGO = "ngo", _("Non-profit organisation")
    OTHER = "other", _("Other")


class AgeBand(models.TextChoices):
    # Bands break at 14, 16 and 18: the ages that matter under Belgian criminal law.
    UNDER_14 = "under_14", _("Under 14")
    FROM_14_TO_15 = "14_15", _("14 or 15")
    FROM_16_TO_17 = "16_17", _("16 or 17")
    FROM_18_TO_24 = "18_24", _("18 to 24")
    FROM_25_TO_34 = "25_34", _("25 to 34")
    FROM_35_TO_49 = "35_49", _("35 to 49")
    FROM_50 = "50_plus", _("50 or older")
    UNKNOWN = "unknown", _("Not known")

    @property
    def is_minor(self) -> bool:
        return self in {AgeBand.UNDER_14, AgeBand.FROM_14_TO_15, AgeBand.FROM_16_TO_17}


class YesNoUnknown(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not known")


class AuthorRelation(models.TextChoices):
    EX_PARTNER = "ex_partner", _("Ex-partner")
    PARTNER = "partner", _("Partner")
    ACQUAINTANCE = "acquaintance", _("Acquaintance")
    FRIEND = "friend", _("Friend")
    FAMILY = "family", _("Family member")
    COLLEAGUE = "colleague", _("Colleague or fellow student")
    STRANGER = "stranger", _("Stranger or online contact")
    UNKNOWN = "unknown", _("Not known")


class ImagesMadeBy(models.TextChoices):
    SELF = "self", _("By the person concerned")
    WITH_CONSENT = "with_consent", _("By someone else, with consent")
    WITHOUT_KNOWLEDGE = "without_knowledge", _("Without the person's knowledge")
    FORCED = "forced", _("By force or against their will")
    UNKNOWN = "unknown", _("Not known")


class StepTaken(models.TextChoices):
    ASKED_AUTHOR = "asked_author", _("Asked the person responsible to delete them")
    ASKED_PLATFORM = "asked_platform", _("Asked the platform to remove")
    POLICE_COMPLAINT = "police_complaint", _("Filed a police complaint")
    # StopNCII.org only takes images taken at 18 or older; Take It Down (NCMEC) is
    # for images of someone under 18.
    STOPNCII = "stopncii", _("Used StopNCII.org (images taken at 18 or older)")
    TAKE_IT_DOWN = "take_it_down", _("Used Take It Down (images taken under 18)")
    NONE = "none", _("Nothing yet")


class PlatformKind(models.TextChoices):
    SOCIAL_MEDIA = "social_media", _("Social media")
    MESSAGING = "messaging", _("Chat or messaging app")
    EMAIL = "email", _("Email")
    PORN_SITE = "porn_site", _("Porn site")
    DATING = "dating", _("Dating site or app")
    FILE_SHARING = "file_sharing", _("File sharing or cloud")
    FORUM = "forum", _("Forum or image-sharing board")
    SEARCH_ENGINE = "search_engine", _("Search engine")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting")
    CLOSED = "closed", _("Closed")


class ClosureReason(models.TextChoices):
    CONTENT_REMOVED = "content_removed", _("Content removed")
    REFERRED = "referred", _("Referred")
    NO_FURTHER_ACTION_WANTED = "no_further_action_wanted", _("No further action wanted")
    NO_CONTACT_POSSIBLE = "no_contact_possible", _("No contact possible")
    NOT_COMPETENT = "not_competent", _("Not competent")
    OTHER = "other", _("Other")
    # Records imported from before this system often say only that a dossier was closed.
    NOT_RECORDED = "not_recorded", _("Not recorded")
    # Only the reporter gives this reason, from the follow-up page (reporter_withdraw).
    WITHDRAWN = "withdrawn", _("Withdrawn by the reporter")


class WaitingFor(models.TextChoices):
    REPORTER = "reporter", _("the reporter")
    PLATFORM = "platform", _("a platform")
    POLICE = "police", _("the police or the prosecutor")
    OTHER = "other", _("someone else")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    EMAIL = "email", _("Email")
    FOLLOW_UP = "follow_up", _("Message on the follow-up page")
    IN_PERSON = "in_person", _("In person")
    LETTER = "letter", _("Letter")


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class EventKind(models.TextChoices):
    CREATED = "created", _("Dossier created")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    DETAILS_CHANGED = "details_changed", _("Details changed")
    NOTE = "note", _("Internal note")
    MESSAGE_TO_REPORTER = "message_to_reporter", _("Message to the reporter")
    MESSAGE_FROM_REPORTER = "message_from_reporter", _("Message from the reporter")
    LOCATION_ADDED = "location_added", _("Address added by the reporter")
    EVIDENCE_ADDED = "evidence_added", _("Files added by the reporter")
    CONTACT_MADE = "contact_made", _("Contact with the reporter")
    TAKEDOWN_REQUESTED = "takedown_requested", _("Takedown requested")
    TAKEDOWN_OUTCOME = "takedown_outcome", _("Takedown outcome")
    REFERRAL_MADE = "referral_made", _("Referral")
    REFERRAL_OUTCOME = "referral_outcome", _("Referral outcome")
    ANONYMISED = "anonymised", _("Personal data erased")
    CONTACT_CHANGED = "contact_changed", _("The reporter changed how to be contacted")
    TAKEDOWN_STEP = "takedown_step", _("Platform's answer")
    PLATFORM_MATCHED = "platform_matched", _("Platform matched to the list")


# The detail of a CREATED event, when there is one: "imported" is written by
# cases.services.earlier_records for every dossier brought in from earlier records.
IMPORTED = "imported"


CREATED_DETAILS = {
    IMPORTED: _("Imported from earlier records"),
}


class NotificationKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement to the reporter")
    NEW_REPORT = "new_report", _("New report alert")
    URGENT_REPORT = "urgent_report", _("Urgent report alert (minor involved)")
    REPORTER_MESSAGE = "reporter_message", _("New message for the reporter")
    REPORTER_ADDED = "reporter_added", _("The reporter added information")
    ASSIGNED = "assigned", _("A dossier was assigned to you")
    DAILY_DIGEST = "daily_digest", _("Daily digest of deadlines")
    SURGE = "surge", _("Unusually many reports at once")
    ROLE_CHANGED = "role_changed", _("A staff role was changed")
    FACTORS_RESET = "factors_reset", _("Your second factors were reset")
    EVIDENCE_ALTERED = "evidence_altered", _("An evidence file failed its integrity check")
    SAME_IMAGE = "same_image", _("The same image in another dossier")
    REPORTER_WITHDREW = "reporter_withdrew", _("The reporter withdrew their report")
    REPORTER_CONTACT_CHANGED = (
        "reporter_contact_changed",
        _("The reporter changed how to be contacted"),
    )


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed the dossier")
    DOWNLOAD = "download", _("Downloaded a file")
    HASHES = "hashes", _("Downloaded the files' hashes")
    REVEAL = "reveal", _("Looked at a file clearly")
    SAFE_COPY = "safe_copy", _("Downloaded a safe copy of a file")
    CHANGE = "change", _("Changed the dossier")


class TakedownMethod(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB_FORM = "web_form", _("The platform's reporting form")
    TRUSTED_FLAGGER = "trusted_flagger", _("Trusted flagger channel")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone")
    OTHER = "other", _("Other")


class LegalBasis(models.TextChoices):
    PLATFORM_RULES = "platform_rules", _("The platform's own rules")
    DSA_NOTICE = "dsa_notice", _("Digital Services Act, notice and action (art. 16)")
    CRIMINAL_CODE = (
        "criminal_code",
        _("Belgian Criminal Code (law of 4 May 2020 on non-consensual sexual images)"),
    )
    GDPR_ERASURE = "gdpr_erasure", _("GDPR, right to erasure (art. 17)")
    COURT_ORDER = "court_order", _("Court order")
    OTHER = "other", _("Other")


class TakedownOutcome(models.TextChoices):
    """The platform's decision on a notice (Article 17 of the Digital Services Act). A
    re-upload seen later is recorded beside it (``reuploaded_on``), so the decision stays."""

    PENDING = "pending", _("Awaiting a decision")
    REMOVED = "removed", _("Removed")
    RESTRICTED = "restricted", _("Restricted (hidden, age-gated or demoted)")
    GEO_BLOCKED = "geo_blocked", _("Blocked in Belgium or the EU only")
    REFUSED = "refused", _("Refused")
    NO_ANSWER = "no_answer", _("No answer")


# Decisions that took the content out of reach, at least in Belgium.
TAKEDOWN_ACTED = (TakedownOutcome.REMOVED, TakedownOutcome.RESTRICTED, TakedownOutcome.GEO_BLOCKED)
# Decisions the notifier may contest with the platform (Article 20).
TAKEDOWN_COMPLAINABLE = (
    TakedownOutcome.REFUSED,
    TakedownOutcome.RESTRICTED,
    TakedownOutcome.GEO_BLOCKED,
)


class TakedownStep(models.TextChoices):
    """The steps of a platform's answer other than its decision, as dossier events say them."""

    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the platform")
    REASONS = "reasons", _("Statement of reasons received")
    COMPLAINT = "complaint", _("Internal complaint lodged")
    COMPLAINT_UPHELD = "complaint_upheld", _("Complaint upheld")
    COMPLAINT_REJECTED = "complaint_rejected", _("Complaint rejected")
    OUT_OF_COURT = "out_of_court", _("Out-of-court body seized")
    REUPLOADED = "reuploaded", _("Seen online again")
    CHECKED = "checked", _("Checked again: as decided")
    RECHECK = "recheck", _("Day to check again changed")


class ComplaintOutcome(models.TextChoices):
    """An internal complaint against the platform's decision (Article 20)."""

    PENDING = "pending", _("Awaiting an answer")
    UPHELD = "upheld", _("Upheld: the platform acted")
    REJECTED = "rejected", _("Rejected")


class NoticeGround(models.TextChoices):
    """The subjects of the legal explanations that notices quote (the admin's table)."""

    NCII = "ncii", _("Non-consensual intimate images")
    VOYEURISM = "voyeurism", _("Voyeurism")
    SEXTORTION = "sextortion", _("Sextortion")
    MINOR = "minor", _("A minor on the images")


class ReferralKind(models.TextChoices):
    POLICE = "police", _("Police")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    VICTIM_SUPPORT = "victim_support", _("Victim support")
    LEGAL_AID = "legal_aid", _("Legal aid")
    STOPNCII = "stopncii", _("StopNCII.org advised")
    TAKE_IT_DOWN = "take_it_down", _("Take It Down (NCMEC) advised")


class ReferralOutcome(models.TextChoices):
    PENDING = "pending", _("Not known yet")
    TAKEN_UP = "taken_up", _("Taken up")
    DECLINED = "declined", _("Declined by the person")
    NOT_POSSIBLE = "not_possible", _("Not possible")
