from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class InstituteConfig(AppConfig):
    default = True
    name = "institute"
    verbose_name = _("Institute")


class InstituteAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "institute.admin_site.InstituteAdminSite"
