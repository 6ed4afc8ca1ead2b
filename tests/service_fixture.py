"""Facts of the congress fixture (tests/fixtures/congress/README.md) that service tests use."""

SINGLE_ZIP = "94110"
SINGLE_ZIP_REP = "Riley Tanaka"
SINGLE_ZIP_REP_PHONE = "202-225-0111"
SINGLE_ZIP_SENATORS = ("Dana Whitfield", "Avery Lopez")
SPLIT_ZIP = "94601"
SPLIT_ZIP_CHOICE = "CA-12"
SPLIT_ZIP_CHOICE_REP = "Morgan Ellis"
VACANT_ZIP = "94541"
DC_ZIP = "20001"
