"""Container health check for the web image: GET /healthz on the local gunicorn.

Exit status 0 when /healthz answers 200, 1 otherwise (Docker's HEALTHCHECK contract).
Standard library only: python:*-slim images have no curl.

Django answers 400 to a Host it does not know, and in production ALLOWED_HOSTS holds the public
name rather than 127.0.0.1, so the request carries a Host header taken from ALLOWED_HOSTS.
HEALTHCHECK_URL overrides the address (default http://127.0.0.1:8000/healthz).
"""

import os
import sys
import urllib.error
import urllib.request


def host_header() -> str:
    for entry in os.environ.get("ALLOWED_HOSTS", "").split(","):
        entry = entry.strip()
        if entry and "*" not in entry:
            # ".example.org" allows example.org and its subdomains.
            return entry.lstrip(".")
    # Unset: settings default to localhost; "*": anything goes.
    return "localhost"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is a failed health check
        return None


def main() -> int:
    url = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")
    request = urllib.request.Request(url, headers={"Host": host_header()})  # noqa: S310 - fixed local URL
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=4) as response:
            body = response.read(512).decode("utf-8", "replace")
            status = response.status
    except urllib.error.HTTPError as error:
        body = error.read(512).decode("utf-8", "replace")
        status = error.code
    except Exception as error:  # connection refused, timeout, ...
        print(f"unhealthy: {error}")
        return 1
    print(f"{status} {body}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
