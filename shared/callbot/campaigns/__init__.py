"""Campaigns: files that organizers write, validated, synced to the database, and rendered.

- `schema`: the file format (`CampaignSpec`); its docstring documents every field.
- `loader`: reading a folder of files, with every problem located by file, line and field.
- `catalog`: syncing loaded files into the `campaigns` table and looking campaigns up.
- `script`: placeholders and safe rendering of call scripts.
"""

from callbot.campaigns.catalog import CampaignCatalog, CatalogEntry, sync_campaigns
from callbot.campaigns.loader import (
    LoadedCampaign,
    LoadResult,
    Problem,
    check_campaigns,
    load_campaigns,
)
from callbot.campaigns.schema import CampaignSpec, CustomTarget, Link, Script, Targets
from callbot.campaigns.script import PLACEHOLDERS, Caller, ScriptTarget, render_script

__all__ = [
    "PLACEHOLDERS",
    "Caller",
    "CampaignCatalog",
    "CampaignSpec",
    "CatalogEntry",
    "CustomTarget",
    "Link",
    "LoadResult",
    "LoadedCampaign",
    "Problem",
    "Script",
    "ScriptTarget",
    "Targets",
    "check_campaigns",
    "load_campaigns",
    "render_script",
    "sync_campaigns",
]
