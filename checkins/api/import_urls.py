from django.urls import URLPattern

from hucares.core.urls import api_path

from .import_views import LocalStorageImportView, LocalStorageRollbackView

urlpatterns: list[URLPattern] = [
    *api_path("migration/localstorage", LocalStorageImportView.as_view(), "migration-localstorage"),
    *api_path("migration/<uuid:import_id>/rollback", LocalStorageRollbackView.as_view(), "migration-rollback"),
]
