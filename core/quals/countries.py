"""Country codes a requirement may name: ISO 3166-1 alpha-2, from babel's CLDR territory data
(maintained upstream, so new or renamed countries arrive with a babel upgrade).

CLDR's territory list is wider than the countries of ISO 3166-1, so we keep only its
two-letter codes and drop those that are not a country a worker can live in:
numeric regions ("001" World, "150" Europe) are not two letters; EU, EZ and UN are unions
and organisations; QO (Outlying Oceania), XA and XB (pseudo-locales) and ZZ (unknown)
are CLDR's private-use codes; AC, CP, CQ, DG, EA, IC and TA are ISO's "exceptionally
reserved" codes for parts of other countries. We keep XK (Kosovo): it is a user-assigned
code, but CLDR, the EU and phone and payment systems use it for a real country with real
workers, and leaving it out would lock them out of every country-restricted HIT."""
from __future__ import annotations

from functools import cache

from babel import Locale

NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"})


@cache
def country_codes() -> frozenset[str]:
    return frozenset(code for code in Locale("en").territories
                     if len(code) == 2 and code.isascii() and code.isalpha() and code not in NOT_COUNTRIES)


def is_country(code: str) -> bool:
    return code in country_codes()
