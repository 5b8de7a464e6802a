from django.urls import path

from . import actions, message_templates, views

app_name = "cases"

urlpatterns = [
    path("", views.dossier_list, name="dossier-list"),
    path("new/", views.staff_report, name="staff-report"),
    path("takedowns/", views.takedowns_due, name="takedowns-due"),
    path("messages/", message_templates.template_list, name="message-templates"),
    path("messages/new/", message_templates.template_edit, name="message-template-new"),
    path(
        "messages/<int:template_pk>/",
        message_templates.template_edit,
        name="message-template-edit",
    ),
    path("<int:pk>/", views.dossier_detail, name="dossier-detail"),
    path("<int:pk>/details/", views.dossier_details, name="dossier-details"),
    path("<int:pk>/triage/", actions.dossier_triage, name="dossier-triage"),
    path("<int:pk>/assign/", actions.dossier_assign, name="dossier-assign"),
    path("<int:pk>/status/<slug:move>/", actions.dossier_status, name="dossier-status"),
    path("<int:pk>/note/", actions.dossier_note, name="dossier-note"),
    path("<int:pk>/message/", actions.dossier_message, name="dossier-message"),
    path("<int:pk>/contact/", actions.dossier_contact, name="dossier-contact"),
    path("<int:pk>/takedowns/", actions.takedown_create, name="takedown-create"),
    path(
        "<int:pk>/takedowns/<int:takedown_pk>/hashes.<str:fmt>",
        views.takedown_hashes,
        name="takedown-hashes",
    ),
    path(
        "<int:pk>/takedowns/<int:takedown_pk>/answer/",
        actions.takedown_answer,
        name="takedown-answer",
    ),
    path(
        "<int:pk>/takedowns/<int:takedown_pk>/notice/",
        views.takedown_notice_sent,
        name="takedown-notice-sent",
    ),
    path(
        "<int:pk>/locations/<int:location_pk>/notice/",
        views.takedown_notice,
        name="takedown-notice",
    ),
    path(
        "<int:pk>/locations/<int:location_pk>/platform/",
        actions.location_platform,
        name="location-platform",
    ),
    path("<int:pk>/referrals/", actions.referral_create, name="referral-create"),
    path(
        "<int:pk>/referrals/<int:referral_pk>/outcome/",
        actions.referral_outcome,
        name="referral-outcome",
    ),
    path("<int:pk>/files/<int:evidence_pk>/", views.evidence_download, name="evidence-download"),
    path(
        "<int:pk>/files/<int:evidence_pk>/safe-copy.jpg",
        views.evidence_safe_copy,
        name="evidence-safe-copy",
    ),
    path(
        "<int:pk>/files/<int:evidence_pk>/preview.png",
        views.evidence_preview,
        name="evidence-preview",
    ),
    path(
        "<int:pk>/files/<int:evidence_pk>/clearly.jpg",
        views.evidence_reveal,
        name="evidence-reveal",
    ),
]
