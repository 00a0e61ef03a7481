"""/api/docs on a lab network without internet: Swagger UI comes from the files
django-ninja ships, served by the app itself, and the page links the OpenAPI
description. (tests/test_pages_browser.py opens it in Chromium with every outside
request refused.)"""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs() -> str:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    return response.content.decode()


def test_the_docs_load_swagger_ui_from_our_static_files(docs):
    assert 'src="/static/ninja/swagger-ui-bundle.js"' in docs


def test_the_docs_load_nothing_from_another_host(docs):
    assert re.findall(r"""(?:src|href)=["'](?:https?:)?//""", docs) == []


def test_the_docs_link_the_openapi_description(docs):
    assert 'href="/api/openapi.json"' in docs


def test_the_docs_turn_off_the_online_validator(docs):
    assert '"validatorUrl": null' in docs


@pytest.mark.parametrize("name", ["swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"])
def test_swagger_uis_files_are_found_by_the_apps_static_handler(name):
    from django.contrib.staticfiles import finders

    assert finders.find(f"ninja/{name}")
