import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from cases.services import evidence_attach
from cases.tasks import reencrypt_personal_data
from tests.factories import DossierFactory
from tests.helpers import png
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PNG = png(b"screenshot")


def _on_key(pk: int, key: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM cases_dossier WHERE id = %s", [pk])
        token = cursor.fetchone()[0]
    try:
        return Fernet(key).decrypt(token.encode()).decode() == "told nobody yet"
    except InvalidToken:
        return False


def _file_on_key(path, key: str) -> bool:
    try:
        return Fernet(key).decrypt(path.read_bytes()) == PNG
    except InvalidToken:
        return False


def test_a_real_worker_moves_dossiers_and_files_to_a_new_key(settings, celery_worker):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    dossier = DossierFactory(description="told nobody yet")
    with transaction.atomic():
        (evidence,) = evidence_attach(
            dossier=dossier, uploads=[SimpleUploadedFile("threat.png", PNG)], saved=[]
        )
    path = settings.PRIVATE_STORAGE_ROOT / evidence.file.name
    assert _on_key(dossier.pk, old_key) and _file_on_key(path, old_key)

    queue = celery_worker(
        FIELD_ENCRYPTION_KEYS=f"{new_key},{old_key}",
        PRIVATE_STORAGE_ROOT=str(settings.PRIVATE_STORAGE_ROOT),
    )
    reencrypt_personal_data.apply_async(queue=queue)

    assert wait_for(lambda: _on_key(dossier.pk, new_key)), "the worker did not re-encrypt"
    assert wait_for(lambda: _file_on_key(path, new_key)), "the worker left the file behind"
