"""TLS for platform-api2.max.ru, whose certificate chains to the Russian Trusted Root CA
(Минцифры). certifi and most system stores lack that root, so the context trusts the
system's roots plus the two certificates maxapi ships (``maxapi/client/russiantrustedca.pem``).
"""

from __future__ import annotations

import ssl

from maxapi.client.ssl import RUSSIAN_TRUSTED_CA_BUNDLE

CA_BUNDLE = RUSSIAN_TRUSTED_CA_BUNDLE


def max_ssl_context() -> ssl.SSLContext:
    """The system's default verification plus the Минцифры roots."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=str(CA_BUNDLE))
    return context
