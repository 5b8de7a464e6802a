from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("report/", views.report, name="report"),
    path("follow-up/", views.followup_start, name="followup-start"),
    path("follow-up/dossier/", views.followup, name="followup"),
    path("follow-up/copy/", views.followup_copy, name="followup-copy"),
    path("follow-up/contact/", views.followup_contact, name="followup-contact"),
    path("follow-up/withdraw/", views.followup_withdraw, name="followup-withdraw"),
    path("follow-up/end/", views.followup_end, name="followup-end"),
]
