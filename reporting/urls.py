from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("workbook.xlsx", views.workbook, name="workbook"),
    path("tables/<slug:key>.<str:fmt>", views.table_file, name="table"),
    path("charts/<slug:key>.<str:fmt>", views.chart_file, name="chart"),
]
