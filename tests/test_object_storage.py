"""Evidence and CSV uploads in an S3 bucket (config.settings.base.file_storage, django-storages),
against a real S3 API over HTTP: moto's server, in a thread of this process, on a port of its own.

The storage is built by the settings' own function from the environment an instance would have.
Nothing may be written under MEDIA_ROOT; the object is private; only a case reader gets it back.
"""

from __future__ import annotations

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer

from config.settings.base import file_storage
from moderation.models import CsvImport, Evidence
from tests import factories
from tests.support import free_port

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"evidence-bytes"
BUCKET = "moderation-evidence"


@pytest.fixture(scope="module")
def s3_server():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings, monkeypatch, tmp_path):
    """The instance's environment names the bucket; MEDIA_ROOT is an empty folder that must stay so."""
    for name, value in {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_S3_REGION_NAME": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_LOCATION": "council-a",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client(
        "s3", endpoint_url=s3_server, region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="x"
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {**settings.STORAGES, "default": file_storage()}
    yield {"client": client, "media": media}
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def objects(bucket) -> list[str]:
    return [item["Key"] for item in bucket["client"].list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_the_settings_choose_s3_only_when_a_bucket_is_named(monkeypatch):
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)
    assert file_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "b")
    chosen = file_storage()
    assert chosen["BACKEND"] == "storages.backends.s3.S3Storage"
    assert chosen["OPTIONS"]["default_acl"] is None
    assert chosen["OPTIONS"]["file_overwrite"] is False


@pytest.mark.django_db
class TestEvidenceInTheBucket:
    def test_stored_privately_read_back_by_a_reader_and_refused_to_others(
        self, bucket, client, officer, director, service_area
    ):
        other_area = factories.ServiceAreaFactory(name="Planning")
        case = factories.OpenCaseFactory(service_area=other_area)
        client.force_login(officer)
        response = client.post(
            reverse("moderation:evidence_add", args=[case.pk]),
            {"file": SimpleUploadedFile("screenshot.png", PNG), "description": "The reply, before it was hidden"},
        )
        assert response.status_code == 302, response.content[:2000]
        evidence = Evidence.objects.get(case=case)

        # in the bucket, under the instance's prefix, and nowhere on this machine's disk
        [key] = objects(bucket)
        assert key == f"council-a/{evidence.file.name}"
        assert key.startswith("council-a/evidence/")
        assert list(bucket["media"].rglob("*")) == []
        # private: the owner alone has a grant, nobody else (no public-read, no authenticated-read)
        grants = bucket["client"].get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
        assert all(g["Grantee"].get("Type") == "CanonicalUser" for g in grants)

        # a reader gets the bytes through the app, with the type they show
        url = reverse("moderation:evidence_file", args=[case.pk, evidence.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG

        # a Service Director of another area may not read the case, nor its evidence
        client.force_login(director)
        response = client.get(url)
        assert response.status_code in (403, 404)
        assert b"evidence-bytes" not in b"".join(getattr(response, "streaming_content", [response.content]))
        client.logout()
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("sign_in") in response["Location"]
        assert list(bucket["media"].rglob("*")) == []

    def test_a_csv_upload_goes_to_the_bucket(self, bucket, officer):
        from django.core.files.base import ContentFile

        csv_import = CsvImport()  # the upload's file field, as the import page saves it
        csv_import.file.save("export.csv", ContentFile(b"a,b\n1,2\n"), save=False)
        assert objects(bucket) == [f"council-a/{csv_import.file.name}"]
        assert csv_import.file.name.startswith("imports/")
        with csv_import.file.open("rb") as handle:
            assert handle.read() == b"a,b\n1,2\n"
        assert list(bucket["media"].rglob("*")) == []


@pytest.mark.django_db
def test_readyz_checks_the_bucket(bucket, client, settings):
    import os

    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL for the broker check")
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    assert client.get("/readyz").json() == {"status": "ok"}
    bucket["client"].delete_bucket(Bucket=BUCKET)
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "failed": ["storage"]}
    finally:
        bucket["client"].create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})


@pytest.fixture
def unreachable_store(settings, monkeypatch, tmp_path):
    """The bucket's endpoint is a closed port: the store does not answer."""
    for name, value in {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "AWS_S3_REGION_NAME": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {**settings.STORAGES, "default": file_storage()}
    return media


@pytest.mark.django_db
class TestTheStoreNotAnswering:
    def test_the_case_is_recorded_without_the_file_saying_so(self, unreachable_store, client, officer, channel):
        from datetime import timedelta

        from django.utils import timezone

        from moderation import clock
        from moderation.constants import EventKind, Priority
        from moderation.models import Case

        client.force_login(officer)
        response = client.post(
            reverse("moderation:case_create"),
            {
                "channel": channel.pk,
                "handle": "@StoreDown",
                "display_name": "Sam Example",
                "text": "Recorded while the file store is down.",
                "url": "https://facebook.com/northhertsdc/posts/3?comment=1",
                "posted_at": f"{timezone.localtime(clock.now() - timedelta(hours=1)):%d/%m/%Y %H:%M}",
                "kind": "comment",
                "rules": [factories.rule("abusive").pk],
                "reason": "Recorded while the file store is down.",
                "service_area": "",
                "priority": Priority.NORMAL,
                "evidence": SimpleUploadedFile("shot.png", PNG),
            },
            follow=True,
        )
        case = Case.objects.get()
        assert response.redirect_chain[-1][0] == reverse("moderation:case_detail", args=[case.pk])
        page = response.content.decode()
        assert f"Case {case.pk} is recorded without its evidence file: the file store is not answering." in page
        assert not Evidence.objects.exists()
        assert set(case.events.values_list("kind", flat=True)) == {EventKind.CASE_RECORDED}
        assert list(unreachable_store.rglob("*")) == []

    def test_adding_evidence_is_refused_with_a_clear_message(self, unreachable_store, client, officer):
        case = factories.OpenCaseFactory()
        client.force_login(officer)
        response = client.post(
            reverse("moderation:evidence_add", args=[case.pk]),
            {"file": SimpleUploadedFile("shot.png", PNG), "description": "A screenshot"},
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "govuk-error-summary" in page
        assert "The evidence file could not be stored: the file store is not answering." in page
        assert not Evidence.objects.exists()
        assert not case.events.filter(kind="evidence_added").exists()
