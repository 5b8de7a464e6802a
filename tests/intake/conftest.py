from cases import receipts

PDF = b"%PDF-1.7\n" + b"\x00" * 64


def report_data(**overrides) -> dict:
    """A complete, valid post of the public report form."""
    data = {
        "submission_token": receipts.new_submission_token(),
        "reporter_type": "person_concerned",
        "reporter_gender": "woman",
        "forms_of_abuse": ["ncii", "sextortion"],
        "description": "My ex posts my photos in a group chat and wants money.",
        "threat_active": "yes",
        "person_age_band": "18_24",
        "person_minor_on_images": "no",
        "still_circulating": "yes",
        "author_relation": "ex_partner",
        "images_made_by": ["self"],
        "steps_taken": ["asked_author"],
        "contact": "contact",
        "reporter_name": "Lotte",
        "reporter_email": "lotte@example.invalid",
        "reporter_phone": "+32 470 12 34 56",
        "wants_acknowledgement": "on",
        "voicemail_allowed": "no",
        "may_name_institute": "no",
        "safe_contact_instructions": "Weekdays after school",
        "contact_language": "nl",
        "consent": "on",
        "locations-TOTAL_FORMS": "5",
        "locations-INITIAL_FORMS": "0",
        "locations-MIN_NUM_FORMS": "0",
        "locations-MAX_NUM_FORMS": "5",
        "locations-0-platform_kind": "social_media",
        "locations-0-platform_name": "Instagram",
        "locations-0-url": "https://www.instagram.com/p/abc123/",
    }
    for n in range(1, 5):
        data |= {f"locations-{n}-platform_kind": "", f"locations-{n}-platform_name": ""}
        data |= {f"locations-{n}-url": ""}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
