"""The representatives lookup (design §4): members of Congress and ZIP -> district.

Load the data once with `CongressDirectory.load(settings.congress_dir)`; every lookup after
that is a dict hit. `callbot data update` (see `callbot.civic.update`) fetches the data.
"""

from callbot.civic.directory import STALE_AFTER_DAYS, CongressDirectory
from callbot.civic.errors import DataInvalid, DataMissing, InvalidZip
from callbot.civic.manifest import FileInfo, Manifest
from callbot.civic.models import (
    CAPITOL_SWITCHBOARD,
    Chamber,
    District,
    Legislator,
    Office,
    ZipMatch,
)
from callbot.civic.report import describe_zip
from callbot.civic.zipcodes import state_for_zip_prefix

__all__ = [
    "CAPITOL_SWITCHBOARD",
    "STALE_AFTER_DAYS",
    "Chamber",
    "CongressDirectory",
    "DataInvalid",
    "DataMissing",
    "District",
    "FileInfo",
    "InvalidZip",
    "Legislator",
    "Manifest",
    "Office",
    "ZipMatch",
    "describe_zip",
    "state_for_zip_prefix",
]
