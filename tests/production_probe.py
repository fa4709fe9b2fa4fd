"""Signs in to the admin under production settings as a browser behind the TLS proxy would.

Run by tests/test_security_settings.py in a process of its own (production
settings refuse to load in the test process). The environment names the
database, the host and the staff account; the proxy is simulated by the
``X-Forwarded-Proto: https`` header nginx sets. Prints one JSON object.
"""

import json
import os

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "hucares.settings.production"
django.setup()

from django.test import Client  # noqa: E402


def main() -> None:
    host, email, password = os.environ["PROBE_HOST"], os.environ["PROBE_EMAIL"], os.environ["PROBE_PASSWORD"]
    browser = Client(enforce_csrf_checks=True, HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https")
    page = browser.get("/admin/login/")
    csrf = browser.cookies["csrftoken"].value
    login = browser.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password, "csrfmiddlewaretoken": csrf, "next": "/admin/"},
        HTTP_ORIGIN=f"https://{host}",
        HTTP_REFERER=f"https://{host}/admin/login/",
    )
    plain = Client(HTTP_HOST=host).get("/api/v1/health/live")
    print(
        json.dumps(
            {
                "loginPage": page.status_code,
                "hsts": page.headers.get("Strict-Transport-Security"),
                "login": login.status_code,
                "redirect": login.headers.get("Location"),
                "plainHsts": plain.headers.get("Strict-Transport-Security"),
            }
        )
    )


main()
