from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.dossier_list, name="dossier-list"),
    path("<int:pk>/", views.dossier_detail, name="dossier-detail"),
]
