from django.conf import settings
from django.http import HttpRequest


def public(request: HttpRequest) -> dict[str, object]:
    """What the public pages show on any page: where the quick exit goes, file limits."""
    return {
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "max_files": settings.EVIDENCE_MAX_FILES,
        "max_file_mb": settings.EVIDENCE_MAX_FILE_BYTES // (1024 * 1024),
    }
